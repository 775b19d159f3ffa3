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
        Assert.Equal(80, a1.Length);
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
        Assert.False(Codes.TryOpen(CityA, new string('A', 80), linkKey));
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
    public void The_synthetic_iv_is_standard_HMAC_SHA256_so_the_construction_can_be_reimplemented_from_the_docs()
    {
        var key = RandomNumberGenerator.GetBytes(64);
        var linkKey = RandomNumberGenerator.GetBytes(32);
        var code = System.Buffers.Text.Base64Url.DecodeFromChars(new AgencyCodes(key).Issue("131059", linkKey));
        var agency = System.Text.Encoding.UTF8.GetBytes("131059");
        byte[] input = [.. "renkei-agency-code-v1"u8.ToArray(), 0, 0, 0, (byte)agency.Length, .. agency, .. linkKey];
        Assert.Equal(HMACSHA256.HashData(key[..32], input)[..12], code[..12]);
        var plain = new byte[32];
        using var aes = new AesGcm(key[32..], 16);
        aes.Decrypt(code[..12], code[12..44], code[44..], plain, agency);
        Assert.Equal(linkKey, plain);
    }
}
