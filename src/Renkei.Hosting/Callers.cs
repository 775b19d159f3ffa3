using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Renkei.Hosting;

/// <summary>A system or clerk allowed to call a service, with the permissions it holds.</summary>
public sealed class Caller
{
    public string Name { get; set; } = "";

    /// <summary>The bearer token; compared in constant time.</summary>
    public string Token { get; set; } = "";

    /// <summary>Permission names such as <c>identity</c>, <c>events</c>, <c>municipality:131016</c> or <c>admin</c>.</summary>
    public List<string> Permissions { get; set; } = [];
}

/// <summary>The callers a service knows; bound from the <c>Callers</c> configuration section.</summary>
public sealed class CallerOptions
{
    public List<Caller> Callers { get; set; } = [];
}

/// <summary>
/// Bearer-token authentication for service APIs: each configured caller becomes a principal whose
/// role claims are its permissions. A missing or unknown token is never allowed.
/// </summary>
public sealed class CallerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<CallerOptions> callers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "RenkeiCaller";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var token = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        var caller = callers.Value.Callers.FirstOrDefault(c =>
            c.Token.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(c.Token), token));
        if (caller is null) return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        var identity = new ClaimsIdentity(
            caller.Permissions.Select(p => new Claim(ClaimTypes.Role, p)).Append(new Claim(ClaimTypes.Name, caller.Name)), SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var problem = Problems.Result(StatusCodes.Status401Unauthorized, "unauthenticated",
            "認証が必要です / Authentication required", "このサービスが知っているトークンを「Authorization: Bearer <token>」で送ってください / " +
            "Send 'Authorization: Bearer <token>' with a token this service knows.");
        await problem.ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var problem = Problems.Result(StatusCodes.Status403Forbidden, "forbidden",
            "この操作の権限がありません / Not permitted", "呼び出し元はこのエンドポイントに必要な権限を持っていません / " +
            "The caller does not hold the permission this endpoint needs.");
        await problem.ExecuteAsync(Context);
    }
}

public static class CallerExtensions
{
    /// <summary>Allows the endpoint only to callers holding <paramref name="permission"/> (or <c>admin</c>).</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.AddAuthenticationSchemes(CallerAuthenticationHandler.SchemeName).RequireRole(permission, "admin"));

    /// <summary>True when the caller holds <paramref name="permission"/> or <c>admin</c>.</summary>
    public static bool Holds(this ClaimsPrincipal user, string permission) => user.IsInRole(permission) || user.IsInRole("admin");

    internal static IServiceCollection AddCallers(this IServiceCollection services)
    {
        services.AddAuthentication(CallerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CallerAuthenticationHandler>(CallerAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }
}
