using Renkei.Numbers;

namespace Renkei.Numbers.Tests;

public class Ff1Tests
{
    private const string Key128 = "2B7E151628AED2A6ABF7158809CF4F3C";
    private const string Key192 = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F";
    private const string Key256 = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
    private const string Tweak10 = "39383736353433323130";
    private const string Tweak36 = "3737373770717273373737";
    private const string Plain10 = "0123456789";
    private const string Plain36 = "0123456789abcdefghi";

    /// <summary>The nine FF1 samples NIST publishes with SP 800-38G (FF1samples.pdf).</summary>
    public static TheoryData<int, string, int, string, string, string> NistSamples => new()
    {
        { 1, Key128, 10, "", Plain10, "2433477484" },
        { 2, Key128, 10, Tweak10, Plain10, "6124200773" },
        { 3, Key128, 36, Tweak36, Plain36, "a9tv40mll9kdu509eum" },
        { 4, Key192, 10, "", Plain10, "2830668132" },
        { 5, Key192, 10, Tweak10, Plain10, "2496655549" },
        { 6, Key192, 36, Tweak36, Plain36, "xbj3kv35jrawxv32ysr" },
        { 7, Key256, 10, "", Plain10, "6657667009" },
        { 8, Key256, 10, Tweak10, Plain10, "1001623463" },
        { 9, Key256, 36, Tweak36, Plain36, "xs8a0azh2avyalyzuwd" },
    };

    [Theory]
    [MemberData(nameof(NistSamples))]
    public void Encrypt_gives_the_NIST_sample_ciphertext(int sample, string key, int radix, string tweak, string plain, string cipher)
    {
        using var ff1 = new Ff1(Convert.FromHexString(key), radix);
        var result = ff1.Encrypt(Numerals(plain), Convert.FromHexString(tweak));
        Assert.True(cipher == Text(result), $"sample {sample}");
    }

    [Theory]
    [MemberData(nameof(NistSamples))]
    public void Decrypt_gives_back_the_NIST_sample_plaintext(int sample, string key, int radix, string tweak, string plain, string cipher)
    {
        using var ff1 = new Ff1(Convert.FromHexString(key), radix);
        var result = ff1.Decrypt(Numerals(cipher), Convert.FromHexString(tweak));
        Assert.True(plain == Text(result), $"sample {sample}");
    }

    [Theory]
    [InlineData(16, 10)]
    [InlineData(24, 36)]
    [InlineData(32, 10)]
    [InlineData(32, 2)]
    [InlineData(32, 62)]
    [InlineData(32, 65536)]
    public void Decrypt_undoes_encrypt_for_random_keys_lengths_and_tweaks(int keyBytes, int radix)
    {
        var random = new Random(keyBytes * 100_003 + radix);
        var minimum = Ff1.MinimumLength(radix);
        for (var trial = 0; trial < 40; trial++)
        {
            var key = new byte[keyBytes];
            random.NextBytes(key);
            using var ff1 = new Ff1(key, radix);
            var x = new int[random.Next(minimum, minimum + 40)];
            for (var i = 0; i < x.Length; i++) x[i] = random.Next(radix);
            var tweak = new byte[random.Next(0, 20)];
            random.NextBytes(tweak);

            var y = ff1.Encrypt(x, tweak);
            Assert.Equal(x.Length, y.Length);
            Assert.All(y, numeral => Assert.InRange(numeral, 0, radix - 1));
            Assert.Equal(x, ff1.Decrypt(y, tweak));
        }
    }

    [Fact]
    public void A_different_tweak_or_key_gives_a_different_ciphertext()
    {
        var key = Convert.FromHexString(Key256);
        using var ff1 = new Ff1(key, 10);
        var x = Numerals("12345678901");
        var plain = ff1.Encrypt(x, []);
        Assert.NotEqual(plain, ff1.Encrypt(x, [0, 0, 0, 1]));
        key[0] ^= 1;
        using var other = new Ff1(key, 10);
        Assert.NotEqual(plain, other.Encrypt(x, []));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void A_key_that_is_not_an_AES_key_is_refused(int keyBytes) =>
        Assert.Throws<ArgumentException>(() => new Ff1(new byte[keyBytes], 10));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65537)]
    public void A_radix_outside_2_to_65536_is_refused(int radix) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Ff1(new byte[32], radix));

    [Theory]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    [InlineData(new[] { 0, 1, 2, 3, 4, -1, 6, 7, 8, 9 })]
    public void A_numeral_outside_the_radix_is_refused(int[] numerals)
    {
        using var ff1 = new Ff1(new byte[32], 10);
        Assert.Throws<ArgumentException>(() => ff1.Encrypt(numerals, []));
        Assert.Throws<ArgumentException>(() => ff1.Decrypt(numerals, []));
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(10, 1)]
    [InlineData(10, 0)]
    [InlineData(36, 3)]
    [InlineData(2, 19)]
    public void An_input_with_fewer_than_a_million_values_is_refused(int radix, int length)
    {
        // SP 800-38G Rev. 1 requires radix^minlen >= 1,000,000: a smaller domain can be enumerated.
        using var ff1 = new Ff1(new byte[32], radix);
        Assert.Throws<ArgumentException>(() => ff1.Encrypt(new int[length], []));
        Assert.Throws<ArgumentException>(() => ff1.Decrypt(new int[length], []));
    }

    [Theory]
    [InlineData(10, 6)]
    [InlineData(36, 4)]
    [InlineData(2, 20)]
    public void The_shortest_input_allowed_round_trips(int radix, int length)
    {
        using var ff1 = new Ff1(new byte[32], radix);
        var x = new int[length];
        x[^1] = radix - 1;
        Assert.Equal(x, ff1.Decrypt(ff1.Encrypt(x, []), []));
    }

    private static int[] Numerals(string text) =>
        text.Select(c => c is >= '0' and <= '9' ? c - '0' : c - 'a' + 10).ToArray();

    private static string Text(int[] numerals) =>
        new(numerals.Select(n => n < 10 ? (char)('0' + n) : (char)('a' + n - 10)).ToArray());
}
