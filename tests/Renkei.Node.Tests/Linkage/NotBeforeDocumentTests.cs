using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;

namespace Renkei.Node.Tests.Linkage;

/// <summary>notBefore is read as text, to say itself what is wrong with it, so the OpenAPI document showed a plain string: it says the forms it takes.</summary>
public class NotBeforeDocumentTests
{
    [Fact]
    public async Task The_openapi_document_says_which_forms_an_inquirys_and_a_batchs_notBefore_take()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var node = await network.NodeClient().GetFromJsonAsync<JsonElement>("openapi/v1.json");
        foreach (var schema in new[] { "InquiryRequest", "InquiryBatchRequest" })
        {
            var notBefore = node.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties").GetProperty("notBefore");
            Assert.True(notBefore.TryGetProperty("description", out var description), schema);
            Assert.Equal(RequestedTime.Description, description.GetString());
            Assert.Contains("2026-04-01T09:00:00+09:00", description.GetString());
        }
    }
}
