using Renkei.Core.Permissions;
using Renkei.Numbers;
using Renkei.Protocol;

namespace Renkei.Core.Tests;

/// <summary>The names an inquiry carries, which every party records as given: an agency's id and the table's affairs and items.</summary>
public class RelayNamesTests
{
    [Fact]
    public void An_agency_id_is_exactly_what_the_numbers_library_reads_as_a_local_government_code_in_plain_digits()
    {
        // Protocol compiles the library's own check-digit file; this proves the two readings meet, prefecture rule included.
        var accepted = 0;
        for (var n = 0; n < 1_000_000; n++)
        {
            var id = n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            var library = LocalGovernmentCode.TryParse(id, out _, out _);
            Assert.True(library == RelayKinds.IsAgencyId(id), id);
            if (library) accepted++;
        }
        Assert.Equal(47 * 1_000, accepted); // one check digit for each prefecture 01 to 47 and three digits after it
    }

    [Fact]
    public void An_agency_id_is_exactly_what_the_numbers_library_reads_as_a_corporate_number_in_plain_digits()
    {
        var random = new Random(20261206);
        for (var i = 0; i < 20_000; i++)
        {
            var baseNumber = random.NextInt64(0, 1_000_000_000_000).ToString("D12", System.Globalization.CultureInfo.InvariantCulture);
            var valid = 0;
            for (var check = 0; check <= 9; check++)
            {
                var id = check + baseNumber;
                var library = CorporateNumber.TryParse(id, out _, out _);
                Assert.True(library == RelayKinds.IsAgencyId(id), id);
                if (library) valid++;
            }
            Assert.Equal(1, valid);
        }
    }

    [Theory]
    [InlineData("0123456789018")]   // 0 and an Individual Number: a corporate number's check digit is 1 to 9
    [InlineData("0000000000000")]
    [InlineData("5010405001704")]   // 5010405001703 with the wrong check digit
    [InlineData("122174")]          // 122173 with the wrong check digit
    [InlineData("000000")]          // no prefecture 00, whatever the check digit
    [InlineData("482005")]          // nor 48
    [InlineData("１２２１７３")]      // the library reads full-width digits; a record keeps ASCII ones
    [InlineData("12217-3")]
    [InlineData("12345678901")]
    [InlineData("")]
    [InlineData(null)]
    public void What_is_no_agency_id_is_refused(string? id) => Assert.False(RelayKinds.IsAgencyId(id));

    [Theory]
    [InlineData("122173")]
    [InlineData("131016")]
    [InlineData("011002")]
    [InlineData("5010405001703")]
    [InlineData("8000000000001")]
    public void Local_government_codes_and_corporate_numbers_with_their_check_digits_are_agency_ids(string id) => Assert.True(RelayKinds.IsAgencyId(id));

    [Theory]
    [InlineData("x1234567890188")]         // the audit's: a number and a slip of the finger, 13 digits
    [InlineData("x123456789018")]
    [InlineData("item-12345")]             // five in a row
    [InlineData("12345-local-tax")]
    [InlineData("a1234-5678-9018")]        // an Individual Number's shape in groups
    [InlineData("child-allowance-0123456789018")]
    // The audit's: an Individual Number between letters, no run longer than four; and two short runs over four in all.
    [InlineData("a1234b5678c9018")]
    [InlineData("x1234y5678z9018")]
    [InlineData("item1234a5678a9018")]
    [InlineData("form-2026-rev-1")]
    [InlineData("t1-2-3-4-5")]
    public void A_name_with_a_long_digit_run_or_more_than_four_digits_in_all_is_refused(string name) => Assert.False(RelayKinds.IsName(name));

    [Theory]
    [InlineData("local-tax")]
    [InlineData("local-tax-2026")]         // a year fits
    [InlineData("t2-1")]
    [InlineData("form-12-rev-3")]
    public void A_name_with_four_digits_or_fewer_is_a_name(string name) => Assert.True(RelayKinds.IsName(name));

    [Fact]
    public void The_permission_tables_names_hold_no_digit_run_near_the_limit()
    {
        var table = PermissionTable.LoadEmbedded();
        var names = table.Affairs.Keys.Concat(table.Items.Keys).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(RelayKinds.IsName(n), n));
        Assert.All(names, n => Assert.DoesNotContain(n, char.IsAsciiDigit));
    }
}
