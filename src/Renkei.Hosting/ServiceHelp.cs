namespace Renkei.Hosting;

/// <summary>What <c>Renkei.X --help</c> prints: what the service is, where its settings come from, and its main keys.</summary>
public static class ServiceHelp
{
    /// <summary>Whether the command line asks for help (then nothing is started or made).</summary>
    public static bool Asked(IEnumerable<string> args) => args.Any(a => a is "--help" or "-h" or "-?" or "/?");

    /// <summary>The help of the service run as <paramref name="service"/> (its assembly's name, e.g. Renkei.Node).</summary>
    public static string For(string service)
    {
        var (what, keys) = Services.TryGetValue(service, out var known) ? known : ("Renkei service", "");
        return $"""
            {service}: {what}

            使い方 / usage: {service} [--urls URL;URL…] [--contentRoot DIR] [Section:Key=value …]

            設定の読み方 / where settings come from, later ones winning:
              1. appsettings.json in the content root: the current directory (dotnet run: the project's folder),
                 or the folder given with --contentRoot; a missing file is no error
              2. environment variables, the key's ':' written as '__' (Storage__ConnectionString)
              3. the command line (--Storage:ConnectionString=…)
            Relative paths are from the current directory. docs/operating.md explains each setting.

            どのサービスにも / every service:
              --urls (or Urls, ASPNETCORE_URLS)     where it listens, e.g. https://0.0.0.0:7101
              Storage__Provider                     Sqlite (default) or Postgres
              Storage__ConnectionString             the database; empty with Sqlite: a file in the data folder
              Storage__ProbeTimeoutSeconds          2 by default (more than 0, at most 600): /health/ready's wait per database
              Tls__CertificateFile, Tls__KeyFile, Tls__CaFile, Tls__CrlFile   PEM files (full paths); HTTPS and mutual TLS
              Callers__0__Name, Callers__0__Token, Callers__0__Permissions__0   who may call, with which permissions
              Logging__LogLevel__Default            Information by default; the log goes to the console (standard output)
            {keys}
            /health answers 200 when the service runs; /health/ready 200 while its storage answers, else 503 (docs/operating.md).
            Exit code 1 with one line on standard error when it cannot start.
            """;
    }

    private static readonly Dictionary<string, (string What, string Keys)> Services = new()
    {
        ["Renkei.Registry"] = ("住民基本台帳・番号 / the resident registers, the national identity server, numbering and corporate numbers", """
            Registry:
              Registry__DataFolder                  default data/registry: the SQLite file and the key files
              Registry__NumberingKeyFile            the numbering key (default DataFolder/numbering.key): keep it, back it up
              Registry__LinkSecretFile              the link secret (default DataFolder/link-secret.key): keep it, back it up
              Registry__LinkSealKeyFile             the seal key shared with the Core (default DataFolder/link-seal.key)
              Registry__DemoData                    false by default here (renkei up: true): true seeds the 14 demo municipalities
                                                    and about 190 synthetic corporations on every start; never on a real register
            """),
        ["Renkei.Core"] = ("情報提供ネットワークシステム / the Core: agency codes, the permission table, relay, provision records", """
            Core:
              Core__DataFolder                      default data/core
              Core__CodeKeyFile                     the code key (default DataFolder/agency-code.key): keep it, back it up
              Core__KeyFile                         the core's signing and encryption keys (default DataFolder/core-keys.pem)
              Core__LinkSealKeyFile                 the Registry's link-seal.key (a copy of the same file): set it
              Core__PermissionTableFile, Core__StalenessSeconds, Core__RetentionYears, Core__ErasureHours,
              Core__ProviderWaitSeconds
            """),
        ["Renkei.Node"] = ("中間サーバー / the Node: one tenant per agency, copies, inquiries and provision", """
            Node:
              Node__CoreAddress                     the core's https address: set it
              Node__DataFolder                      default data/node: each tenant's keys.pem (keep them, back them up)
              Node__Tenants__0__AgencyId, Node__Tenants__0__Name, Node__Tenants__0__ConnectionString
              Node__SchemaPrefix                    PostgreSQL schema of each tenant: prefix + agency id (default tenant_)
              Node__StalenessSeconds, Node__RetentionYears, Node__ErasureHours, Node__WitnessSeconds,
              Node__BatchConcurrency, Node__BatchMaxItems, Node__BatchIdleSeconds, Node__BatchResultDays,
              Node__RelayMaxPerMessage, Node__RelayInFlight, Node__AgencyListWaitSeconds, Node__CoreWaitSeconds
            """),
        ["Renkei.Pki"] = ("公的個人認証 / the PKI: CAs, card issuance, CRLs, OCSP, verifiers", """
            Pki:
              Pki__DataFolder                       default data/pki: the CA keys (keep them, back them up)
              Pki__RootKeyFile, Pki__SigningCaKeyFile, Pki__AuthenticationCaKeyFile, Pki__CardRecoveryKeyFile, Pki__PseudonymKeyFile
              Pki__RegistryUrl, Pki__RegistryToken  the Registry it follows (deaths and changes revoke certificates): set them
              Pki__PublicUrl                        the base URL put into certificates (CRL, OCSP)
            """),
    };
}
