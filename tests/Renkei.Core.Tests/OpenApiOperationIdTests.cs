using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Renkei.Hosting;

namespace Renkei.Core.Tests;

public class OpenApiOperationIdTests
{
    [Fact]
    public async Task Operation_ids_that_come_out_alike_are_numbered_apart_and_an_endpoint_name_is_kept()
    {
        // Two routes whose ids would be alike, and a named endpoint: a deliberately awkward service.
        var builder = ServiceDefaults.CreateBuilder([]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddRenkeiDefaults("Awkward");
        await using var app = builder.Build();
        app.UseRenkeiDefaults("core");
        app.MapGet("/api/a-b", () => "one");
        app.MapGet("/api/a_b", () => "two");
        app.MapGet("/api/named", () => "three").WithName("readNamed");
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = app.BaseAddress() };
        var paths = JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json")).RootElement.GetProperty("paths");
        string Id(string path) => paths.GetProperty(path).GetProperty("get").GetProperty("operationId").GetString()!;
        Assert.Equal("getApiAB", Id("/api/a-b"));
        Assert.Equal("getApiAB2", Id("/api/a_b"));
        Assert.Equal("readNamed", Id("/api/named"));
        await app.StopAsync();
    }
}
