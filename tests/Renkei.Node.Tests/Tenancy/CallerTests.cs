using Microsoft.AspNetCore.Builder;
using Renkei.Testing;

namespace Renkei.Node.Tests.Tenancy;

public class CallerTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Fact]
    public void A_caller_of_two_tenants_with_a_role_that_names_no_tenant_is_refused_at_start_before_anything_is_made()
    {
        // The audit's: Bunkyo's child-allowance clerk and Kashiwa's copy loader in one caller could ask for child allowance in
        // Kashiwa's name and write Bunkyo's copies, since affair: and copies name no tenant.
        foreach (var permissions in new[]
        {
            new[] { $"tenant:{B}", "affair:child-allowance", $"tenant:{K}", "copies" },
            [$"tenant:{B}", $"tenant:{K}", "records"],
            [$"tenant:{B}", $"tenant:{K}", "admin"],
        })
        {
            using var folder = new TempFolder();
            var refused = Assert.Throws<InvalidOperationException>(() => Create(folder, ("shared-platform", permissions)));
            Assert.Contains("呼出元「shared-platform」", refused.Message);
            Assert.Contains($"tenant:{B}, tenant:{K}", refused.Message);
            Assert.Contains("one caller and token per tenant", refused.Message);
            Assert.Contains(permissions.First(p => !p.StartsWith("tenant:", StringComparison.Ordinal)), refused.Message);
            Assert.False(Directory.Exists(Path.Combine(folder.Path, "tenants")), "a tenant's database or keys were made");
        }
    }

    [Fact]
    public void Two_callers_of_one_name_or_a_caller_without_one_are_refused_at_start()
    {
        // A batch goes on only while the caller who submitted it, by name, holds its affair: a name two callers share could be either.
        foreach (var (name, callers) in new[]
        {
            ("bunkyo-clerk", new[] { ("bunkyo-clerk", new[] { $"tenant:{B}", "affair:child-allowance" }), ("bunkyo-clerk", [$"tenant:{B}", "copies"]) }),
            ("", [("", [$"tenant:{B}", "affair:child-allowance"])]),
        })
        {
            using var folder = new TempFolder();
            var refused = Assert.Throws<InvalidOperationException>(() => Create(folder, callers));
            Assert.Contains($"'{name}' is empty or given twice", refused.Message);
            Assert.False(Directory.Exists(Path.Combine(folder.Path, "tenants")), "a tenant's database or keys were made");
        }
    }

    [Fact]
    public async Task Callers_of_one_tenant_each_and_a_member_of_two_tenants_with_no_other_role_start()
    {
        using var folder = new TempFolder();
        await using var app = Create(folder, ("bunkyo-child-clerk", [$"tenant:{B}", "affair:child-allowance"]),
            ("kashiwa-tax-system", [$"tenant:{K}", "copies"]), ("member-only", [$"tenant:{B}", $"tenant:{K}"]), ("node-admin", ["admin"]));
        Assert.True(File.Exists(Path.Combine(folder.Path, "tenants", K, "keys.pem")));
    }

    private static WebApplication Create(TempFolder folder, params (string Name, string[] Permissions)[] callers)
    {
        var settings = new List<(string, string?)> { ("Node:Tenants:1:AgencyId", K), ("Node:Tenants:1:Name", "柏市") };
        for (var i = 0; i < callers.Length; i++)
        {
            settings.Add(($"Callers:{i}:Name", callers[i].Name));
            settings.Add(($"Callers:{i}:Token", callers[i].Name + "-token"));
            for (var j = 0; j < callers[i].Permissions.Length; j++) settings.Add(($"Callers:{i}:Permissions:{j}", callers[i].Permissions[j]));
        }
        return NodeSettings.Create(folder.Path, [.. settings]);
    }
}
