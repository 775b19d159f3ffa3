using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting;
using Renkei.Pki.Authorities;

namespace Renkei.Pki.Certificates;

/// <summary>The basic four items as the signing certificate carries them.</summary>
public sealed record HolderItems(string Name, string Address, DateOnly DateOfBirth, string Sex);

/// <summary>
/// The JPKI certificate profile: the signing certificate carries the basic four items as
/// subjectAltName otherName entries under 1.2.392.200149.8.5.5 and an opaque subject CN; the
/// authentication certificate carries no personal item. Both name their policy, CRL and OCSP.
/// </summary>
public static class CertificateProfile
{
    public const string SigningPolicy = "1.2.392.200149.8.5.1.1";
    public const string AuthenticationPolicy = "1.2.392.200149.8.5.1.3";
    public const string NameOid = "1.2.392.200149.8.5.5.1";
    public const string NameSubstitutesOid = "1.2.392.200149.8.5.5.2";
    public const string SexOid = "1.2.392.200149.8.5.5.3";
    public const string DateOfBirthOid = "1.2.392.200149.8.5.5.4";
    public const string AddressOid = "1.2.392.200149.8.5.5.5";
    public const string AddressSubstitutesOid = "1.2.392.200149.8.5.5.6";

    public static string PolicyOf(CertificateKind kind) => kind == CertificateKind.Signing ? SigningPolicy : AuthenticationPolicy;

    public static X509Certificate2 Issue(Authority ca, CertificateKind kind, PublicKey subjectKey, HolderItems? holder, string opaqueId,
        DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] serial, Uri crl, Uri ocsp)
    {
        var subject = new X500DistinguishedName($"CN={opaqueId}, OU={(kind == CertificateKind.Signing ? "Signing" : "User Authentication")}, O=Renkei JPKI, C=JP");
        var request = new CertificateRequest(subject, subjectKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(kind == CertificateKind.Signing
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation
            : X509KeyUsageFlags.DigitalSignature, true));
        if (kind == CertificateKind.Authentication)
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        request.CertificateExtensions.Add(Policies(PolicyOf(kind)));
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crl.ToString()]));
        request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocsp.ToString()], null));
        if (holder is not null) request.CertificateExtensions.Add(SubjectAltName(holder));
        return request.Create(ca.Certificate.SubjectName, X509SignatureGenerator.CreateForRSA(ca.Key, RSASignaturePadding.Pkcs1),
            notBefore, Cap(notAfter, ca), serial);
    }

    /// <summary>
    /// A certificate ends no later than its issuing CA: the overload that takes the CA's name checks nothing, and a certificate
    /// outliving its CA is refused by relying parties once the CA has expired while it still claims years of validity.
    /// </summary>
    public static DateTimeOffset Cap(DateTimeOffset notAfter, Authority ca) => notAfter < ca.NotAfter ? notAfter : ca.NotAfter;

    /// <summary>
    /// Until the holder's fifth birthday after issue, and never past the card: the card lasts to
    /// the tenth birthday after issue (the fifth for a holder under 18 on the issue day). Ends at the close of that day in Japan.
    /// </summary>
    public static (DateTimeOffset NotAfter, DateOnly CardExpiresOn) Validity(DateOnly dateOfBirth, DateTimeOffset issuedAt)
    {
        var issuedOn = JapanTime.DateOf(issuedAt);
        // Which birthday ends the card is calendar arithmetic (a 29 February birth's falls on 28 February in a common year);
        // how old the holder is on the issue day is the Age Act's count (AgeReachedOn), or that birth is 18 a day early.
        var first = issuedOn.Year - dateOfBirth.Year;
        if (dateOfBirth.AddYears(first) <= issuedOn) first++;
        // first: the years from birth to the first birthday after the issue day.
        var minor = AgeReachedOn(dateOfBirth, AdultAge) > issuedOn;
        var fifth = dateOfBirth.AddYears(first + 4);
        var cardExpires = minor ? fifth : dateOfBirth.AddYears(first + 9);
        var until = fifth < cardExpires ? fifth : cardExpires;
        return (JapanTime.EndOfDay(until), cardExpires);
    }

    /// <summary>The age from which a holder's card lasts ten years rather than five.</summary>
    public const int AdultAge = 18;

    /// <summary>The age from which a holder is issued a signing certificate: JPKI issues none, as a rule, to a person under 15.</summary>
    public const int SigningAge = 15;

    /// <summary>Whether a card issued at <paramref name="issuedAt"/> carries a signing certificate: its holder is 15 or older that day in Japan.</summary>
    public static bool CarriesSigning(DateOnly dateOfBirth, DateTimeOffset issuedAt) =>
        AgeReachedOn(dateOfBirth, SigningAge) <= JapanTime.DateOf(issuedAt);

    /// <summary>
    /// The first day on which a person is <paramref name="years"/> old, as the Act on the Calculation of Age and the Civil
    /// Code (art. 143) count it: the period ends with the day before the birthday's date in that year, and a 29 February
    /// birth has no such date in a common year, so that period ends with 28 February and the age starts on 1 March
    /// (<see cref="DateOnly.AddYears"/> would give 28 February, a day early).
    /// </summary>
    public static DateOnly AgeReachedOn(DateOnly dateOfBirth, int years) =>
        dateOfBirth is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(dateOfBirth.Year + years)
            ? new DateOnly(dateOfBirth.Year + years, 3, 1)
            : dateOfBirth.AddYears(years);

    /// <summary>A certificatePolicies extension naming one policy.</summary>
    public static X509Extension Policies(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
            writer.WriteObjectIdentifier(oid);
        return new X509Extension("2.5.29.32", writer.Encode(), false);
    }

    /// <summary>The basic four items and the substitute-character positions as otherName entries, UTF8String values.</summary>
    private static X509Extension SubjectAltName(HolderItems holder)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (oid, value) in Items(holder))
            {
                var tag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
                using (writer.PushSequence(tag))
                {
                    writer.WriteObjectIdentifier(oid);
                    using (writer.PushSequence(tag))
                        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                }
            }
        }
        return new X509Extension("2.5.29.17", writer.Encode(), false);
    }

    /// <summary>In the real card's order: name, date of birth, sex, address, then where substitutes stand in each.</summary>
    private static IEnumerable<(string Oid, string Value)> Items(HolderItems holder)
    {
        var name = SubstituteCharacters.Substitute(holder.Name);
        var address = SubstituteCharacters.Substitute(holder.Address);
        yield return (NameOid, name.Text);
        yield return (DateOfBirthOid, EncodeDateOfBirth(holder.DateOfBirth));
        yield return (SexOid, holder.Sex == "female" ? "2" : "1");
        yield return (AddressOid, address.Text);
        yield return (NameSubstitutesOid, name.Positions);
        yield return (AddressSubstitutesOid, address.Positions);
    }

    /// <summary>One era digit (1 Meiji, 2 Taisho, 3 Showa, 4 Heisei, 5 Reiwa) then the Gregorian yyyyMMdd.</summary>
    public static string EncodeDateOfBirth(DateOnly date)
    {
        var era = date < new DateOnly(1912, 7, 30) ? 1
            : date < new DateOnly(1926, 12, 25) ? 2
            : date < new DateOnly(1989, 1, 8) ? 3
            : date < new DateOnly(2019, 5, 1) ? 4
            : 5;
        return era.ToString(CultureInfo.InvariantCulture) + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the basic four items back from a signing certificate (as written: substitutes included); null when it has none.</summary>
    public static HolderItems? ReadItems(X509Certificate2 certificate)
    {
        var values = ReadOtherNames(certificate);
        if (values is null) return null;
        if (!values.TryGetValue(NameOid, out var name) || !values.TryGetValue(AddressOid, out var address)
            || !values.TryGetValue(DateOfBirthOid, out var dob) || !values.TryGetValue(SexOid, out var sex) || dob.Length != 9
            || !DateOnly.TryParseExact(dob[1..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return null;
        return new HolderItems(name, address, date, sex == "2" ? "female" : "male");
    }

    /// <summary>
    /// The name and address as written with their substitute-character positions; null when the
    /// certificate lacks them or a positions string does not count the characters of its text.
    /// </summary>
    public static (SubstitutedText Name, SubstitutedText Address)? ReadSubstitutes(X509Certificate2 certificate)
    {
        var values = ReadOtherNames(certificate);
        if (values is null || !values.TryGetValue(NameOid, out var name) || !values.TryGetValue(AddressOid, out var address)
            || !values.TryGetValue(NameSubstitutesOid, out var namePositions) || !values.TryGetValue(AddressSubstitutesOid, out var addressPositions))
            return null;
        static bool Counts(string text, string positions) =>
            text.EnumerateRunes().Count() == positions.Length && positions.All(p => p is '0' or '1');
        if (!Counts(name, namePositions) || !Counts(address, addressPositions)) return null;
        return (new SubstitutedText(name, namePositions), new SubstitutedText(address, addressPositions));
    }

    private static Dictionary<string, string>? ReadOtherNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null) return null;
        var values = new Dictionary<string, string>();
        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific || tag.TagValue != 0) { names.ReadEncodedValue(); continue; }
                var otherName = names.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                var oid = otherName.ReadObjectIdentifier();
                var value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                values[oid] = value.ReadCharacterString(UniversalTagNumber.UTF8String);
            }
        }
        catch (AsnContentException) { return null; }
        return values;
    }

    /// <summary>The certificate policy OIDs a certificate names.</summary>
    public static IReadOnlyList<string> PoliciesOf(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.32"];
        if (extension is null) return [];
        var list = new List<string>();
        try
        {
            var policies = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (policies.HasData) list.Add(policies.ReadSequence().ReadObjectIdentifier());
        }
        catch (AsnContentException) { }
        return list;
    }
}
