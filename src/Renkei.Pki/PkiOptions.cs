namespace Renkei.Pki;

/// <summary>The PKI's settings: the <c>Pki</c> configuration section.</summary>
public sealed class PkiOptions
{
    /// <summary>Where the SQLite file and the key files live unless configured otherwise.</summary>
    public string DataFolder { get; set; } = Path.Combine("data", "pki");

    /// <summary>Key files (PKCS#8 PEM; the certificate sits beside each as .crt); made on first start.</summary>
    public string? RootKeyFile { get; set; }
    public string? SigningCaKeyFile { get; set; }
    public string? AuthenticationCaKeyFile { get; set; }

    /// <summary>The key that wraps each card's key-recovery blob, so a municipality can reset a PIN.</summary>
    public string? CardRecoveryKeyFile { get; set; }

    /// <summary>The secret behind the per-verifier pseudonymous subjects (32 random bytes, hex).</summary>
    public string? PseudonymKeyFile { get; set; }

    public int CaKeySize { get; set; } = 2048;

    /// <summary>Key size the cards are told to make (RSA-2048 as the real card).</summary>
    public int CardKeySize { get; set; } = 2048;

    /// <summary>The base URL put into certificates (CRL distribution points, OCSP); the listening address when empty.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>The Registry's base URL; the identity API and the event feed are read there.</summary>
    public string? RegistryUrl { get; set; }

    /// <summary>A Registry bearer token holding <c>identity</c> and <c>events</c>.</summary>
    public string? RegistryToken { get; set; }

    /// <summary>Follow the Registry's events to revoke certificates (on when a Registry is configured).</summary>
    public bool FollowRegistryEvents { get; set; } = true;

    /// <summary>How long one long-poll of the Registry's feed waits for an event (a commit wakes it at once).</summary>
    public int RegistryWaitSeconds { get; set; } = 20;

    /// <summary>How long a pre-produced OCSP response is served (its nextUpdate); a revocation replaces it at once.</summary>
    public int OcspValiditySeconds { get; set; } = 600;

    /// <summary>
    /// How often, at most, the responder reads the database's revocation counter before answering from its caches: how long
    /// a revocation made by another PKI process on the same database may go unseen here (0: on every request).
    /// </summary>
    public int RevocationCheckSeconds { get; set; } = 2;

    /// <summary>The nextUpdate of a CRL; a CRL is rebuilt after a revocation of its kind and at half this.</summary>
    public int CrlValidityHours { get; set; } = 24;

    /// <summary>
    /// How long a card may stay pending before it is taken as abandoned and withdrawn (AbandonedCards). An issuance confirms
    /// its card within two of the Registry client's 90-second waits; a card pending longer was cut off.
    /// </summary>
    public int PendingCardMinutes { get; set; } = 10;

    public string RootKeyPath => RootKeyFile ?? Path.Combine(DataFolder, "root-ca.key");
    public string SigningCaKeyPath => SigningCaKeyFile ?? Path.Combine(DataFolder, "signing-ca.key");
    public string AuthenticationCaKeyPath => AuthenticationCaKeyFile ?? Path.Combine(DataFolder, "authentication-ca.key");
    public string CardRecoveryKeyPath => CardRecoveryKeyFile ?? Path.Combine(DataFolder, "card-recovery.key");
    public string PseudonymKeyPath => PseudonymKeyFile ?? Path.Combine(DataFolder, "pseudonym.key");
}
