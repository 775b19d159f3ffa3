namespace Renkei.Numbers;

/// <summary>
/// The numbering authority's conversion: the first eleven digits of an Individual Number are FF1
/// (AES-256, radix 10) of the eleven-digit Resident Record Code under the numbering key, with an
/// empty tweak at designation and the re-issue count as the tweak after a re-issue; the twelfth is
/// the check digit. FF1 is a permutation, so two codes never give one number under one tweak.
/// </summary>
public sealed class IndividualNumberDeriver : IDisposable
{
    private readonly Ff1 ff1;

    public IndividualNumberDeriver(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("the numbering key is 32 bytes (AES-256)", nameof(key));
        ff1 = new Ff1(key, 10);
    }

    /// <summary>Reads a key file holding the 32-byte key as 64 hex characters.</summary>
    public static byte[] ReadKeyFile(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != 64) throw new FormatException($"the key file must hold 64 hex characters, it holds {text.Length} characters");
        try { return Convert.FromHexString(text); }
        catch (FormatException) { throw new FormatException("the key file must hold only hex characters (0-9, a-f)"); }
    }

    /// <summary>The eleven-digit conversion of any eleven digits, without a check digit.</summary>
    public long DerivePayload(long elevenDigits, int reissueCount = 0)
    {
        if (elevenDigits is < 0 or > 99_999_999_999) throw new ArgumentOutOfRangeException(nameof(elevenDigits));
        Span<int> x = stackalloc int[11];
        for (var i = 10; i >= 0; i--) { x[i] = (int)(elevenDigits % 10); elevenDigits /= 10; }
        var y = ff1.Encrypt(x, Tweak(reissueCount));
        long result = 0;
        foreach (var digit in y) result = result * 10 + digit;
        return result;
    }

    /// <summary>
    /// The eleven-digit conversion of many inputs at once (<paramref name="payloads"/>[i] for
    /// <paramref name="elevenDigits"/>[i]); check digits are added by <see cref="IndividualNumber.FromPayload"/>.
    /// </summary>
    public void DeriveMany(ReadOnlySpan<long> elevenDigits, Span<long> payloads, int reissueCount = 0)
    {
        if (payloads.Length < elevenDigits.Length) throw new ArgumentException("payloads is shorter than the input", nameof(payloads));
        for (var i = 0; i < elevenDigits.Length; i++) payloads[i] = DerivePayload(elevenDigits[i], reissueCount);
    }

    /// <summary>The Individual Number of a Resident Record Code (<paramref name="reissueCount"/> 0 at designation).</summary>
    public IndividualNumber Derive(ResidentRecordCode code, int reissueCount = 0) =>
        IndividualNumber.FromPayload(DerivePayload(code.Value, reissueCount));

    /// <summary>The tweak of the n-th re-issue: empty at designation, else n as four big-endian bytes.</summary>
    public static byte[] Tweak(int reissueCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reissueCount);
        return reissueCount == 0 ? [] : [(byte)(reissueCount >> 24), (byte)(reissueCount >> 16), (byte)(reissueCount >> 8), (byte)reissueCount];
    }

    public void Dispose() => ff1.Dispose();
}
