namespace Renkei.Numbers.Tests;

public class CorporateNumberSeriesTests
{
    [Theory]
    [InlineData(0L, CorporateNumberSeries.Unassigned)]
    [InlineData(10_999_999L, CorporateNumberSeries.Unassigned)]
    [InlineData(11_000_000L, CorporateNumberSeries.Diet)]
    [InlineData(11_000_005L, CorporateNumberSeries.Diet)] // 国立国会図書館
    [InlineData(11_999_999L, CorporateNumberSeries.Diet)]
    [InlineData(12_000_000L, CorporateNumberSeries.ExecutiveOrgan)]
    [InlineData(12_050_002L, CorporateNumberSeries.ExecutiveOrgan)] // 国税庁
    [InlineData(12_999_999L, CorporateNumberSeries.ExecutiveOrgan)]
    [InlineData(13_000_000L, CorporateNumberSeries.Courts)]
    [InlineData(13_999_999L, CorporateNumberSeries.Courts)]
    [InlineData(14_000_000L, CorporateNumberSeries.Unassigned)]
    [InlineData(19_999_999L, CorporateNumberSeries.Unassigned)]
    [InlineData(20_000_000L, CorporateNumberSeries.LocalGovernment)]
    [InlineData(20_131_016L, CorporateNumberSeries.LocalGovernment)] // 000020 + 千代田区 131016
    [InlineData(20_999_999L, CorporateNumberSeries.LocalGovernment)]
    [InlineData(21_000_000L, CorporateNumberSeries.Unassigned)]
    [InlineData(99_999_999L, CorporateNumberSeries.Unassigned)] // the last base under registry office 0000
    [InlineData(100_000_000L, CorporateNumberSeries.CompanyLegalNumber)] // registry office 0001
    [InlineData(110_001_000_007L, CorporateNumberSeries.CompanyLegalNumber)]
    [InlineData(699_999_999_999L, CorporateNumberSeries.CompanyLegalNumber)]
    [InlineData(700_000_000_000L, CorporateNumberSeries.Unregistered)]
    [InlineData(799_999_999_999L, CorporateNumberSeries.Unregistered)]
    [InlineData(800_000_000_000L, CorporateNumberSeries.CompanyLegalNumber)]
    [InlineData(990_000_000_001L, CorporateNumberSeries.CompanyLegalNumber)] // Renkei's own synthetic registry offices
    [InlineData(999_999_999_999L, CorporateNumberSeries.CompanyLegalNumber)]
    public void Series_is_read_from_the_first_digits_of_the_base(long baseNumber, CorporateNumberSeries series)
    {
        Assert.Equal(series, CorporateNumber.SeriesOf(baseNumber));
        Assert.Equal(series, CorporateNumber.FromBase(baseNumber).Series);
    }

    [Fact]
    public void Series_reads_the_base_not_the_leading_check_digit()
    {
        var nta = CorporateNumber.Parse("7000012050002");
        Assert.Equal(CorporateNumberSeries.ExecutiveOrgan, nta.Series);
        // Check digit 7 before a company legal number's base: still a company's, not the 7… series.
        var company = CorporateNumber.Parse("7110001000007");
        Assert.Equal(CorporateNumberSeries.CompanyLegalNumber, company.Series);
    }

    [Theory]
    [InlineData(CorporateNumberSeries.Diet, true)]
    [InlineData(CorporateNumberSeries.ExecutiveOrgan, true)]
    [InlineData(CorporateNumberSeries.Courts, true)]
    [InlineData(CorporateNumberSeries.LocalGovernment, false)]
    [InlineData(CorporateNumberSeries.Unregistered, false)]
    [InlineData(CorporateNumberSeries.Unassigned, false)]
    [InlineData(CorporateNumberSeries.CompanyLegalNumber, false)]
    public void National_bodies_are_the_diet_the_executive_and_the_courts(CorporateNumberSeries series, bool national) =>
        Assert.Equal(national, series.IsNationalBody());

    [Theory]
    [InlineData(-1L)]
    [InlineData(1_000_000_000_000L)]
    public void A_base_outside_twelve_digits_has_no_series(long baseNumber) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CorporateNumber.SeriesOf(baseNumber));
}
