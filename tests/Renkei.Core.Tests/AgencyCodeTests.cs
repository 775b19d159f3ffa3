using System.Security.Cryptography;
using Renkei.Core.Codes;

namespace Renkei.Core.Tests;

public class AgencyCodeTests
{
    private static readonly AgencyCodes Codes = new(RandomNumberGenerator.GetBytes(64));
    private const string CityA = "122173", CityB = "131059";

    [Fact]
    public void An_agency_always_gets_the_same_code_and_two_agencies_get_unrelated_codes()
    {
        var person = RandomNumberGenerator.GetBytes(32);
        var a1 = Codes.Issue(CityA, person);
        Assert.Equal(a1, Codes.Issue(CityA, person));
        var b = Codes.Issue(CityB, person);
        Assert.NotEqual(a1, b);
        Assert.Equal(64, a1.Length);
        // No shared prefix or suffix: the codes of one person look independent.
        Assert.NotEqual(a1[..16], b[..16]);
        Assert.NotEqual(a1[^16..], b[^16..]);
        Assert.NotEqual(a1, Codes.Issue(CityA, RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public void The_core_translates_a_code_into_another_agencys_code_for_the_same_person()
    {
        var person = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(Codes.Issue(CityB, person), Codes.Translate(CityA, Codes.Issue(CityA, person), CityB));
    }

    [Fact]
    public void Codes_are_refused_when_presented_by_another_agency_tampered_made_up_or_under_another_key()
    {
        var person = RandomNumberGenerator.GetBytes(32);
        var code = Codes.Issue(CityA, person);
        var linkKey = new byte[32];
        Assert.True(Codes.TryOpen(CityA, code, linkKey));
        Assert.Equal(person, linkKey);
        Assert.False(Codes.TryOpen(CityB, code, linkKey));
        Assert.Null(Codes.Translate(CityB, code, CityA));
        var tampered = (code[5] == 'A' ? 'B' : 'A') is var ch ? code[..5] + ch + code[6..] : code;
        Assert.False(Codes.TryOpen(CityA, tampered, linkKey));
        Assert.False(Codes.TryOpen(CityA, new string('A', 64), linkKey));
        Assert.False(Codes.TryOpen(CityA, "short", linkKey));
        Assert.False(Codes.TryOpen(CityA, null, linkKey));
        Assert.False(new AgencyCodes(RandomNumberGenerator.GetBytes(64)).TryOpen(CityA, code, linkKey));
    }

    [Fact]
    public void The_code_key_file_is_made_once_and_gives_the_same_codes_after_a_restart()
    {
        using var folder = new Testing.TempFolder();
        var file = folder.File("agency-code.key");
        var person = RandomNumberGenerator.GetBytes(32);
        var first = AgencyCodes.LoadOrCreate(file).Issue(CityA, person);
        Assert.Equal(first, AgencyCodes.LoadOrCreate(file).Issue(CityA, person));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }
}

public class AgencyCodeConstructionTests
{
    [Fact]
    public void A_code_is_AES_SIV_CMAC_512_of_the_link_key_so_it_can_be_reimplemented_from_the_docs()
    {
        var key = RandomNumberGenerator.GetBytes(64);
        var linkKey = RandomNumberGenerator.GetBytes(32);
        var code = System.Buffers.Text.Base64Url.DecodeFromChars(new AgencyCodes(key).Issue("131059", linkKey));
        Assert.Equal(Rfc5297.Encrypt(key, "131059"u8.ToArray(), linkKey), code);
    }

    /// <summary>
    /// RFC 5297 written out block by block from AES-ECB alone, for a 32-byte plaintext and one
    /// associated data string, sharing no code with <see cref="AesSiv"/>.
    /// </summary>
    private static class Rfc5297
    {
        public static byte[] Encrypt(byte[] key, byte[] ad, byte[] plaintext)
        {
            using var macKey = Aes.Create();
            macKey.Key = key[..32];
            using var ctrKey = Aes.Create();
            ctrKey.Key = key[32..];
            // S2V(K1, AD, P)
            var d = Cmac(macKey, new byte[16]);
            d = Xor(Dbl(d), Cmac(macKey, ad));
            var t = (byte[])plaintext.Clone();
            for (var i = 0; i < 16; i++) t[16 + i] ^= d[i]; // P xorend D (P is 32 bytes)
            var v = Cmac(macKey, t);
            // CTR(K2, Q = V with bits 63 and 31 cleared)
            var q = (byte[])v.Clone();
            q[8] &= 0x7f;
            q[12] &= 0x7f;
            var output = new byte[16 + plaintext.Length];
            v.CopyTo(output, 0);
            for (var block = 0; block * 16 < plaintext.Length; block++)
            {
                var pad = ctrKey.EncryptEcb(q, PaddingMode.None);
                for (var i = 0; i < 16 && block * 16 + i < plaintext.Length; i++)
                    output[16 + block * 16 + i] = (byte)(plaintext[block * 16 + i] ^ pad[i]);
                for (var i = 15; i >= 0 && ++q[i] == 0; i--) { } // Q + 1
            }
            return output;
        }

        /// <summary>AES-CMAC (RFC 4493).</summary>
        private static byte[] Cmac(Aes aes, byte[] message)
        {
            var k1 = Dbl(aes.EncryptEcb(new byte[16], PaddingMode.None));
            var k2 = Dbl(k1);
            var blocks = Math.Max(1, (message.Length + 15) / 16);
            var whole = message.Length > 0 && message.Length % 16 == 0;
            var last = new byte[16];
            var tail = message.AsSpan((blocks - 1) * 16);
            tail.CopyTo(last);
            if (!whole) last[tail.Length] = 0x80;
            last = Xor(last, whole ? k1 : k2);
            var x = new byte[16];
            for (var b = 0; b < blocks - 1; b++)
                x = aes.EncryptEcb(Xor(x, message[(b * 16)..(b * 16 + 16)]), PaddingMode.None);
            return aes.EncryptEcb(Xor(x, last), PaddingMode.None);
        }

        private static byte[] Dbl(byte[] s)
        {
            var r = new byte[16];
            for (var i = 0; i < 16; i++) r[i] = (byte)((s[i] << 1) | (i < 15 ? s[i + 1] >> 7 : 0));
            if ((s[0] & 0x80) != 0) r[15] ^= 0x87;
            return r;
        }

        private static byte[] Xor(byte[] a, byte[] b) => a.Zip(b, (x, y) => (byte)(x ^ y)).ToArray();
    }
}
