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

    /// <summary>
    /// Refuses, before a service makes anything, a caller without a name or a name two callers share (spaces aside): the logs,
    /// a node's batches and the core's agency history say by name who did what, and such a name says nobody in particular.
    /// </summary>
    public static void CheckNames(IReadOnlyList<Caller> callers)
    {
        if (callers.GroupBy(c => c.Name.Trim()).FirstOrDefault(g => g.Key.Length == 0 || g.Count() > 1) is not { } same) return;
        var name = LogText.Safe(same.Key);
        throw new InvalidOperationException($"呼出元にはそれぞれ別の名前が必要です（「{name}」が空か重複しています）。何も作っていません / " +
            $"every caller needs a name of its own ('{name}' is empty or given twice): the logs, a node's batches and the core's agency history " +
            "say by name who asked; nothing was made");
    }
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
        BearerChallenge.Add(Context);
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

/// <summary>What a 401 for a missing or unknown bearer token says of how to authenticate.</summary>
public static class BearerChallenge
{
    /// <summary>
    /// Adds <c>WWW-Authenticate</c>, which every 401 carries (RFC 9110 §15.5.2): <c>Bearer</c>, and <c>error="invalid_token"</c> when a
    /// token was given but is not known (RFC 6750 §3.1; a request without one gets no error code).
    /// </summary>
    public static void Add(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header["Bearer ".Length..].Trim().Length > 0;
        context.Response.Headers.WWWAuthenticate = given ? "Bearer error=\"invalid_token\"" : "Bearer";
    }
}

/// <summary>
/// Endpoint metadata of <see cref="CallerExtensions.RequireOwnToken"/>: the endpoint takes a bearer token of another kind than a
/// caller's and checks it itself; the OpenAPI document declares it as <paramref name="Scheme"/> with the refusals it answers.
/// </summary>
public sealed record OwnToken(string Scheme, string Description, IReadOnlyList<(int Status, string Description)> Refusals);

public static class CallerExtensions
{
    /// <summary>
    /// Says that the endpoint takes a bearer token that it checks itself (a verifier's token at the PKI), not a caller's: the
    /// OpenAPI document then declares the token as the security scheme <paramref name="scheme"/> and the <paramref name="refusals"/>.
    /// The endpoint adds <see cref="BearerChallenge"/> to its 401.
    /// </summary>
    public static TBuilder RequireOwnToken<TBuilder>(this TBuilder builder, string scheme, string description, params (int Status, string Description)[] refusals)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new OwnToken(scheme, description, refusals));

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
