using System.Security.Cryptography;
using Renkei.Numbers;

namespace Renkei.Numbers.Tests;

public class IndividualNumberDeriverTests
{
    private const string Key256 = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void DeriveMany_equals_reference_FF1_for_random_codes(int reissueCount)
    {
        var random = new Random(1000 + reissueCount);
        var key = RandomKey(random);
        var codes = new long[3_000];
        for (var i = 0; i < codes.Length; i++) codes[i] = random.NextInt64(0, 100_000_000_000);
        codes[0] = 0;
        codes[1] = 99_999_999_999;
        using var deriver = new IndividualNumberDeriver(key);
        var payloads = new long[codes.Length];
        deriver.DeriveMany(codes, payloads, reissueCount);

        using var ff1 = new Ff1(key, 10);
        var tweak = IndividualNumberDeriver.Tweak(reissueCount);
        for (var i = 0; i < codes.Length; i++) Assert.Equal(Reference(ff1, codes[i], 11, tweak), payloads[i]);
    }

    [Fact]
    public void DeriveMany_on_every_core_equals_one_at_a_time_and_keeps_the_order()
    {
        var random = new Random(7);
        var key = RandomKey(random);
        var codes = new long[200_003];
        for (var i = 0; i < codes.Length; i++) codes[i] = random.NextInt64(0, 100_000_000_000);
        using var deriver = new IndividualNumberDeriver(key);
        var payloads = new long[codes.Length];
        deriver.DeriveMany(codes, payloads, reissueCount: 2);

        using var ff1 = new Ff1(key, 10);
        var tweak = IndividualNumberDeriver.Tweak(2);
        for (var i = 0; i < codes.Length; i += 997) Assert.Equal(Reference(ff1, codes[i], 11, tweak), payloads[i]);
        Assert.Equal(Reference(ff1, codes[^1], 11, tweak), payloads[^1]);
        for (var i = 0; i < codes.Length; i += 10_007) Assert.Equal(deriver.DerivePayload(codes[i], 2), payloads[i]);
    }

    [Fact]
    public void Derive_gives_the_FF1_payload_with_its_check_digit()
    {
        var key = Convert.FromHexString(Key256);
        using var deriver = new IndividualNumberDeriver(key);
        using var ff1 = new Ff1(key, 10);
        var code = ResidentRecordCode.FromPayload(1234567890);
        var number = deriver.Derive(code);
        Assert.Equal(Reference(ff1, code.Value, 11, []), number.Payload);
        Assert.True(IndividualNumber.TryParse(number.Digits, out _, out var problem), problem?.Message);
        Assert.NotEqual(number, deriver.Derive(code, reissueCount: 1));
    }

    [Fact]
    public void The_re_issue_tweak_is_empty_at_designation_then_four_big_endian_bytes()
    {
        Assert.Empty(IndividualNumberDeriver.Tweak(0));
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, IndividualNumberDeriver.Tweak(1));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, IndividualNumberDeriver.Tweak(0x01020304));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndividualNumberDeriver.Tweak(-1));
    }

    [Fact]
    public void DeriveMany_checks_every_input_before_writing_any_output()
    {
        using var deriver = new IndividualNumberDeriver(new byte[32]);
        var codes = new long[50_000];
        codes[^1] = 100_000_000_000;
        var payloads = new long[codes.Length];
        Array.Fill(payloads, -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => deriver.DeriveMany(codes, payloads));
        Assert.All(payloads, p => Assert.Equal(-1, p));
        codes[^1] = -1;
        Assert.Throws<ArgumentOutOfRangeException>(() => deriver.DeriveMany(codes, payloads));
        Assert.Throws<ArgumentException>(() => deriver.DeriveMany(codes, new long[codes.Length - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => deriver.DerivePayload(100_000_000_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => deriver.DerivePayload(5, reissueCount: -1));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(31)]
    public void The_numbering_key_must_be_32_bytes(int bytes) =>
        Assert.Throws<ArgumentException>(() => new IndividualNumberDeriver(new byte[bytes]));

    [Theory]
    [InlineData(7, "", "6657667009")]
    [InlineData(8, "39383736353433323130", "1001623463")]
    public void The_fast_form_gives_the_NIST_AES_256_radix_10_samples(int sample, string tweak, string cipher)
    {
        using var fast = new Ff1Decimal(Convert.FromHexString(Key256), 10, Convert.FromHexString(tweak));
        Assert.Equal(Ff1Aes256.IsSupported, fast.AesInstructions);
        var output = new long[1];
        fast.Encrypt([123456789], output);
        Assert.True(long.Parse(cipher) == output[0], $"sample {sample}");
    }

    [Theory]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3C", "", "2433477484")]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3C", "39383736353433323130", "6124200773")]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", "", "2830668132")]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", "39383736353433323130", "2496655549")]
    [InlineData(Key256, "", "6657667009")]
    [InlineData(Key256, "39383736353433323130", "1001623463")]
    public void The_fast_form_on_AES_ECB_batches_gives_the_NIST_radix_10_samples(string key, string tweak, string cipher)
    {
        using var fast = new Ff1Decimal(Convert.FromHexString(key), 10, Convert.FromHexString(tweak), useAesInstructions: false);
        Assert.False(fast.AesInstructions);
        var output = new long[1];
        fast.Encrypt([123456789], output);
        Assert.Equal(long.Parse(cipher), output[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_fast_form_equals_reference_FF1_at_every_length_and_tweak_it_takes(bool aesInstructions)
    {
        var random = new Random(aesInstructions ? 11 : 12);
        for (var length = 6; length <= 18; length++)
        {
            var maxTweak = Enumerable.Range(0, 17).Last(t => Ff1Decimal.Fits(length, t));
            foreach (var tweakLength in new[] { 0, 1, 4, maxTweak }.Distinct())
            {
                var key = RandomKey(random);
                var tweak = new byte[tweakLength];
                random.NextBytes(tweak);
                using var fast = new Ff1Decimal(key, length, tweak, aesInstructions);
                using var ff1 = new Ff1(key, 10);
                var limit = (long)Math.Pow(10, length);
                var inputs = new long[37];
                for (var i = 0; i < inputs.Length; i++) inputs[i] = random.NextInt64(0, limit);
                inputs[0] = limit - 1;
                var outputs = new long[inputs.Length];
                fast.Encrypt(inputs, outputs);
                for (var i = 0; i < inputs.Length; i++) Assert.Equal(Reference(ff1, inputs[i], length, tweak), outputs[i]);
            }
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Every_eleven_digit_path_equals_reference_FF1(bool aesInstructions, bool vectors)
    {
        var random = new Random(aesInstructions ? (vectors ? 21 : 22) : 23);
        for (var reissueCount = 0; reissueCount <= 3; reissueCount++)
        {
            var key = RandomKey(random);
            var tweak = IndividualNumberDeriver.Tweak(reissueCount);
            using var fast = new Ff1Decimal(key, 11, tweak, aesInstructions, vectors);
            Assert.Equal(aesInstructions && Ff1Aes256.IsSupported, fast.AesInstructions);
            Assert.Equal(aesInstructions && vectors && Ff1Aes256.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported, fast.VectorArithmetic);
            using var ff1 = new Ff1(key, 10);
            // 1,237 is not a multiple of the sixteen lanes, so the last batch is partly empty.
            var inputs = new long[1_237];
            for (var i = 0; i < inputs.Length; i++) inputs[i] = random.NextInt64(0, 100_000_000_000);
            long[] edges = [0, 1, 999_999, 1_000_000, 99_999_999_999, 99_999_000_000, 12_345_678_901];
            edges.CopyTo(inputs, 0);
            var outputs = new long[inputs.Length];
            fast.Encrypt(inputs, outputs);
            for (var i = 0; i < inputs.Length; i++) Assert.Equal(Reference(ff1, inputs[i], 11, tweak), outputs[i]);
        }
    }

    [Fact]
    public void The_fast_form_refuses_what_it_cannot_compute()
    {
        Assert.False(Ff1Decimal.Fits(5, 0));
        Assert.False(Ff1Decimal.Fits(19, 0));
        Assert.False(Ff1Decimal.Fits(11, 13));
        Assert.True(Ff1Decimal.Fits(11, 12));
        Assert.Throws<ArgumentException>(() => new Ff1Decimal(new byte[32], 11, new byte[13]));
        Assert.Throws<ArgumentException>(() => new Ff1Decimal(new byte[20], 11, []));
        using var fast = new Ff1Decimal(new byte[32], 11, []);
        Assert.Throws<ArgumentOutOfRangeException>(() => fast.Encrypt([100_000_000_000], new long[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => fast.Encrypt([-1], new long[1]));
    }

    [FactOnAesInstructions]
    public void AES_256_on_the_processor_instructions_equals_the_platform_AES()
    {
        var random = new Random(5);
        using var aes = Aes.Create();
        for (var trial = 0; trial < 50; trial++)
        {
            var key = RandomKey(random);
            var block = new byte[16];
            random.NextBytes(block);
            aes.Key = key;
            var expected = aes.EncryptEcb(block, PaddingMode.None);
            var actual = Ff1Aes256.EncryptBlock(System.Runtime.Intrinsics.Vector128.Create<byte>(block), Ff1Aes256.ExpandKey(key));
            var bytes = new byte[16];
            System.Runtime.Intrinsics.Vector128.CopyTo(actual, bytes);
            Assert.Equal(expected, bytes);
        }
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[32];
        random.NextBytes(key);
        return key;
    }

    /// <summary>FF1 by the reference implementation, digit by digit.</summary>
    private static long Reference(Ff1 ff1, long value, int length, byte[] tweak)
    {
        var x = new int[length];
        for (var i = length - 1; i >= 0; i--) { x[i] = (int)(value % 10); value /= 10; }
        long result = 0;
        foreach (var digit in ff1.Encrypt(x, tweak)) result = result * 10 + digit;
        return result;
    }
}

/// <summary>
/// A fact that needs the processor's AES instructions: on a processor without them it is reported as skipped, where a
/// <c>return</c> at its top counted as passed with nothing compared.
/// </summary>
public sealed class FactOnAesInstructionsAttribute : FactAttribute
{
    public FactOnAesInstructionsAttribute()
    {
        if (!Ff1Aes256.IsSupported) Skip = "このプロセッサには AES 命令がありません / this processor has no AES instructions";
    }
}
