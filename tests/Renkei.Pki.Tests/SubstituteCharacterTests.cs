using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Certificates;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public sealed class SubstituteCharacterTests
{
    [Theory]
    [InlineData("連携 太郎", "連携 太郎", "00000")]
    // JIS X 0212 (補助漢字) is inside the set: 鷗 and 濵 stay; 髙 and 﨑 (IBM extensions, in neither JIS set) do not.
    [InlineData("髙﨑 鷗濵", "高崎 鷗濵", "11000")]
    // 𠮷 (outside both JIS sets, a surrogate pair) counts as one character and stands as 吉.
    [InlineData("𠮷田 花子", "吉田 花子", "10000")]
    // A compatibility ideograph and half-width kana become their JIS forms.
    [InlineData("\uFA10本ｱｲ", "塚本アイ", "1011")]
    // With no known stand-in, the geta mark.
    [InlineData("𩸽子😀", "〓子〓", "101")]
    [InlineData("千葉県千葉市中央区中央1-1-1", "千葉県千葉市中央区中央1-1-1", "0000000000000000")]
    [InlineData("", "", "")]
    public void Characters_outside_JIS_X_0208_and_0212_are_substituted_and_their_positions_marked(string text, string written, string positions)
    {
        var substituted = SubstituteCharacters.Substitute(text);
        Assert.Equal(written, substituted.Text);
        Assert.Equal(positions, substituted.Positions);
        Assert.Equal(positions.Contains('1'), substituted.AnySubstituted);
        // What is written is all inside the set: substituting again changes nothing.
        Assert.Equal(new SubstitutedText(written, new string('0', positions.Length)), SubstituteCharacters.Substitute(written));
    }

    [Theory, StorageData]
    public async Task The_signing_certificate_writes_substitutes_and_their_positions_for_name_and_address(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var moved = await sandbox.Clerk.PostAsJsonAsync($"api/municipalities/{PkiSandbox.Municipality}/events", new
        {
            kind = "move-in", from = "abroad", address = "千葉県千葉市中央区𠮷野町1-1",
            person = new { familyName = "𠮷田", givenName = "髙子", familyNameKana = "ヨシダ", givenNameKana = "タカコ", dateOfBirth = "1970-03-04", sex = "female" },
        }, ServiceDefaults.Json);
        var body = await moved.Content.ReadAsStringAsync();
        Assert.True(moved.IsSuccessStatusCode, body);
        var receipt = JsonDocument.Parse(body).RootElement;
        var resident = new Resident(receipt.GetProperty("residentId").GetString()!, receipt.GetProperty("individualNumber").GetString()!, "𠮷田", "髙子", "1970-03-04");
        var card = await sandbox.IssueCardAsync(resident);

        var items = CertificateProfile.ReadItems(card.SigningCertificate);
        Assert.NotNull(items);
        Assert.Equal("吉田 高子", items.Name);
        Assert.Equal("千葉県千葉市中央区吉野町1-1", items.Address);
        Assert.Equal(("female", new DateOnly(1970, 3, 4)), (items.Sex, items.DateOfBirth));
        var substitutes = CertificateProfile.ReadSubstitutes(card.SigningCertificate);
        Assert.NotNull(substitutes);
        Assert.Equal(new SubstitutedText("吉田 高子", "10010"), substitutes.Value.Name);
        Assert.Equal(new SubstitutedText("千葉県千葉市中央区吉野町1-1", "000000000100000"), substitutes.Value.Address);
        // The card face keeps the registered characters; only the certificate substitutes.
        Assert.Equal("𠮷田 髙子", card.Face.Name);
        // The authentication certificate carries none of it.
        Assert.Null(CertificateProfile.ReadSubstitutes(card.AuthenticationCertificate));

        // An ordinary name: the same text, every position 0.
        var plain = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var plainSubstitutes = CertificateProfile.ReadSubstitutes(plain.SigningCertificate)!.Value;
        Assert.Equal(CertificateProfile.ReadItems(plain.SigningCertificate)!.Name, plainSubstitutes.Name.Text);
        Assert.False(plainSubstitutes.Name.AnySubstituted || plainSubstitutes.Address.AnySubstituted);
        Assert.Equal(plainSubstitutes.Address.Text.Length, plainSubstitutes.Address.Positions.Length);

        // A certificate without the entries (a foreign one) reads as none, not as a failure.
        using var foreign = ForeignCa.Create();
        Assert.Null(CertificateProfile.ReadSubstitutes(foreign.Leaf));
    }
}
