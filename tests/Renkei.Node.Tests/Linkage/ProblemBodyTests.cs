using System.Text.Json;
using Renkei.Hosting;
using Renkei.Protocol.Records;

namespace Renkei.Node.Tests.Linkage;

/// <summary>One reader of another service's problem body, for the relay, the witness and the audit: a body that is not a problem has no slug.</summary>
public class ProblemBodyTests
{
    [Fact]
    public void A_problem_of_ours_gives_its_slug_and_detail_and_another_type_stays_whole()
    {
        Assert.Equal(("records-missing", "gone"), Problems.OfBody("""{"type":"urn:renkei:problem:records-missing","detail":"gone"}"""));
        Assert.Equal(("about:blank", null), Problems.OfBody("""{"type":"about:blank","detail":7}"""));
        Assert.Equal(("stale-message", null), Problems.OfBody(JsonDocument.Parse("""{"type":"urn:renkei:problem:stale-message"}""").RootElement));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("""{"type":"urn:renkei:problem:records-missing""")]
    [InlineData("""["urn:renkei:problem:records-missing"]""")]
    [InlineData("""{"title":"x","detail":"no type"}""")]
    [InlineData("""{"type":42,"detail":"a type that is no string"}""")]
    [InlineData("null")]
    public void A_body_that_is_not_a_problem_has_no_slug_nor_detail(string body) =>
        Assert.Equal((null, null), Problems.OfBody(body));

    [Fact]
    public void Only_a_missing_record_or_an_unreached_head_is_a_broken_log()
    {
        Assert.True(RecordProofsApi.IsBrokenLog("records-missing"));
        Assert.True(RecordProofsApi.IsBrokenLog("head-not-reached"));
        Assert.False(RecordProofsApi.IsBrokenLog("invalid-size"));
        Assert.False(RecordProofsApi.IsBrokenLog("urn:renkei:problem:records-missing"));
        Assert.False(RecordProofsApi.IsBrokenLog(null));
    }
}
