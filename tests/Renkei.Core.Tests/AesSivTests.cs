using System.Security.Cryptography;
using Renkei.Core.Codes;

namespace Renkei.Core.Tests;

public class AesSivTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>Encrypts to exactly <paramref name="expected"/> (V ‖ C) and opens it again.</summary>
    private static void AssertSealsTo(AesSiv siv, byte[] plaintext, byte[] expected, params byte[][] ad)
    {
        var output = new byte[plaintext.Length + AesSiv.SivLength];
        siv.Encrypt(plaintext, output, ad);
        Assert.Equal(expected, output);
        var opened = new byte[plaintext.Length];
        Assert.True(siv.TryDecrypt(output, opened, ad));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Rfc5297_A1_deterministic_authenticated_encryption()
    {
        using var siv = new AesSiv(Hex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff"));
        var ad = Hex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
        var plaintext = Hex("11223344 55667788 99aabbcc ddee");
        var expected = Hex("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c");

        AssertSealsTo(siv, plaintext, expected, ad);
    }

    [Fact]
    public void Rfc5297_A2_nonce_based_authenticated_encryption_with_several_components()
    {
        using var siv = new AesSiv(Hex("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f"));
        byte[][] ad =
        [
            Hex("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100"),
            Hex("10203040 50607080 90a0"),
            Hex("09f91102 9d74e35b d84156c5 635688c0"), // the nonce: the last component (RFC 5297 §3)
        ];
        var plaintext = Hex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 74207573 696e6720 5349562d 414553");
        var expected = Hex("7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d");

        AssertSealsTo(siv, plaintext, expected, ad);
    }

    // Outputs of OpenSSL's AES-SIV for the key sizes and branches the RFC's examples leave out.
    [Theory]
    [InlineData("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        "161bd08f25a3362f9ac4da05a6794606c4395b358ac4547dd3c47fd7e5b5b17f71fc4655a0bacb3e07ed4e8826faf5dd")]
    [InlineData("0102030405", "691a355629749ed7d7e31283330f66ba3112bb2376")]
    [InlineData("", "74573c18aaea7ca7e50fb699810c72d3")]
    public void AES_SIV_CMAC_512_matches_OpenSSL_for_whole_short_and_empty_plaintexts(string plaintextHex, string expectedHex)
    {
        using var siv = new AesSiv(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        var plaintext = Hex(plaintextHex);
        AssertSealsTo(siv, plaintext, Hex(expectedHex), "131059"u8.ToArray());
    }

    [Fact]
    public void AES_SIV_CMAC_384_matches_OpenSSL_for_a_long_plaintext_and_an_empty_component()
    {
        using var siv = new AesSiv(Enumerable.Range(0, 48).Select(i => (byte)i).ToArray());
        var plaintext = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        AssertSealsTo(siv, plaintext, Hex("0a1d6ab27c23fa90ee544f618599d28475cfd134f0f47b1135af5e06d168874391c43c28dc5818cfa93853a4adb48be1ff77a7198d016bdca8f4640f27525be56a5a218d2c7b69a961fcb851864e91bf3b30e0ad02f69a1d0160bfae9c2bda1936aa58838008f057622376791ff472ca1d56d150"),
            "a"u8.ToArray(), [], Enumerable.Range(0, 33).Select(i => (byte)i).ToArray());
    }

    [Fact]
    public void Absorbing_the_associated_data_once_gives_the_same_output()
    {
        using var siv = new AesSiv(RandomNumberGenerator.GetBytes(64));
        var ad = "122173"u8.ToArray();
        var plaintext = RandomNumberGenerator.GetBytes(32);
        var direct = new byte[48];
        var absorbed = new byte[48];
        siv.Encrypt(plaintext, direct, ad);
        siv.Encrypt(siv.Absorb(ad), plaintext, absorbed);
        Assert.Equal(direct, absorbed);
        var opened = new byte[32];
        Assert.True(siv.TryDecrypt(siv.Absorb(ad), absorbed, opened));
        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(1000)]
    public void Tampered_output_wrong_associated_data_and_wrong_key_are_refused_at_every_length(int length)
    {
        var key = RandomNumberGenerator.GetBytes(64);
        using var siv = new AesSiv(key);
        var plaintext = RandomNumberGenerator.GetBytes(length);
        var ad = "122173"u8.ToArray();
        var output = new byte[length + AesSiv.SivLength];
        siv.Encrypt(plaintext, output, ad);
        var opened = new byte[length];
        Assert.True(siv.TryDecrypt(output, opened, ad));
        Assert.Equal(plaintext, opened);

        for (var i = 0; i < output.Length; i += Math.Max(1, output.Length / 8))
        {
            var tampered = (byte[])output.Clone();
            tampered[i] ^= 0x01;
            Assert.False(siv.TryDecrypt(tampered, opened, ad));
            Assert.All(opened, b => Assert.Equal(0, b)); // nothing of a refused plaintext is left
        }
        Assert.False(siv.TryDecrypt(output, opened, "131059"u8.ToArray()));
        Assert.False(siv.TryDecrypt(output, opened, ad, []));
        Assert.False(siv.TryDecrypt(output, opened));
        var otherKey = (byte[])key.Clone();
        otherKey[40] ^= 0x80; // the CTR half alone: S2V over the wrong plaintext must notice
        using var other = new AesSiv(otherKey);
        Assert.Equal(length == 0, other.TryDecrypt(output, opened, ad)); // no plaintext, nothing CTR could change
        using var stranger = new AesSiv(RandomNumberGenerator.GetBytes(64));
        Assert.False(stranger.TryDecrypt(output, opened, ad));
    }

    [Fact]
    public void Keys_other_than_256_384_or_512_bits_and_short_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AesSiv(new byte[16]));
        Assert.Throws<ArgumentException>(() => new AesSiv(new byte[63]));
        using var siv = new AesSiv(new byte[32]);
        Assert.False(siv.TryDecrypt(new byte[15], [], []));
        Assert.False(siv.TryDecrypt(new byte[20], new byte[3]));
        Assert.Throws<ArgumentException>(() => siv.Encrypt(new byte[4], new byte[4]));
    }
}
