using System.Globalization;
using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Identity;

namespace Renkei.Registry.Tests.Identity;

/// <summary>Changes the process's default culture, so it runs alone.</summary>
[CollectionDefinition(nameof(HostLocale), DisableParallelization = true)]
public sealed class HostLocale;

[Collection(nameof(HostLocale))]
public class HostLocaleTests
{
    [Fact]
    public async Task On_a_host_whose_locale_counts_Buddhist_years_a_date_of_birth_is_read_and_answered_as_given()
    {
        var thai = new CultureInfo("th-TH");
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = thai;
        try
        {
            await using var registry = await RegistryHost.StartAsync(StorageProvider.Sqlite);
            var born = await registry.RegisterBirthAsync(person: RegistryHost.Person(dateOfBirth: "1976-10-05"));
            var identity = registry.Client("identity-token");
            var info = (await (await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber)))
                .Content.ReadFromJsonAsync<IdentityInfo>(ServiceDefaults.Json))!;
            Assert.Equal("1976-10-05", info.DateOfBirth);
            var found = await identity.PostAsJsonAsync("api/identity/by-basic-four", new BasicFourQuery("山田", "太郎", "1976-10-05", "male"));
            Assert.Equal(born.ResidentId, Assert.Single((await found.Content.ReadFromJsonAsync<IdentityMatches>(ServiceDefaults.Json))!.Matches).ResidentId);

            // The parsing itself does not lean on the service's setting either.
            CultureInfo.CurrentCulture = thai;
            Assert.Equal(new DateOnly(1976, 10, 5), BasicFourSearch.Parse(new BasicFourQuery("山田", "太郎", "1976-10-05", "male"), [])!.DateOfBirth);
        }
        finally
        {
            ServiceDefaults.UseInvariantFormats();
        }
    }
}
