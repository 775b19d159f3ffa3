using Renkei.Hosting.Storage;

namespace Renkei.Registry.Municipalities;

public sealed record MunicipalitySummary(string Code, string Prefecture, string Name, string NameKana, long Residents);

public static class MunicipalitiesApi
{
    public static void MapMunicipalities(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/municipalities", async (Database database) =>
                TypedResults.Ok((await MunicipalityStore.ListAsync(database)).Select(m => new MunicipalitySummary(m.Code, m.Prefecture, m.Name, m.NameKana, m.Residents))))
            .WithTags("Municipalities").WithSummary("The municipalities on this registry network and their resident counts.");
    }
}
