using System.Collections.Concurrent;

namespace Renkei.Numbers;

/// <summary>
/// The numbering authority's conversion: the first eleven digits of an Individual Number are FF1
/// (AES-256, radix 10) of the eleven-digit Resident Record Code under the numbering key, with an
/// empty tweak at designation and the re-issue count as the tweak after a re-issue; the twelfth is
/// the check digit. FF1 is a permutation, so two codes never give one number under one tweak.
/// The conversion runs on <see cref="Ff1Decimal"/>, the fast form of <see cref="Ff1"/> for eleven
/// digits; tests hold the two equal.
/// </summary>
public sealed class IndividualNumberDeriver : IDisposable
{
    /// <summary>Below this many inputs, <see cref="DeriveMany"/> stays on the calling thread.</summary>
    private const int ParallelThreshold = 16_384;
    private const int ChunkSize = 8_192;
    private const long Limit = 100_000_000_000;

    private readonly byte[] key;
    // Lazy, so that two threads asking at once for a new re-issue count build one conversion, not two.
    private readonly ConcurrentDictionary<int, Lazy<Ff1Decimal>> byReissueCount = new();
    private bool disposed;

    public IndividualNumberDeriver(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("the numbering key is 32 bytes (AES-256)", nameof(key));
        this.key = key.ToArray();
        Conversion(0);
    }

    /// <summary>Whether the conversion runs on the processor's AES instructions.</summary>
    public bool UsesAesInstructions => Conversion(0).AesInstructions;

    private Ff1Decimal Conversion(int reissueCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reissueCount);
        ObjectDisposedException.ThrowIf(disposed, this);
        return byReissueCount.GetOrAdd(reissueCount, static (count, key) => new Lazy<Ff1Decimal>(() => new Ff1Decimal(key, 11, Tweak(count))), key).Value;
    }

    /// <summary>Reads a key file holding the 32-byte key as 64 hex characters.</summary>
    public static byte[] ReadKeyFile(string path)
    {
        // Read no more than a key file could sensibly hold: a device such as /dev/zero, named by mistake, never ends.
        const int Limit = 4096;
        // A named pipe would wait for a writer for ever; it, a device and an empty file all have no length to read.
        if (File.Exists(path) && new FileInfo(path).Length == 0)
            throw new FormatException("鍵ファイルが空です（またはパイプやデバイスです） / the key file is empty (or a pipe or a device)");
        using var file = File.OpenRead(path);
        var buffer = new byte[Limit + 1];
        int read = 0, n;
        while (read < buffer.Length && (n = file.Read(buffer, read, buffer.Length - read)) > 0) read += n;
        if (read > Limit)
            throw new FormatException($"鍵ファイルには16進数64文字が必要ですが、{Limit:N0}バイトを超えています / the key file must hold 64 hex characters, it holds more than {Limit:N0} bytes");
        var bytes = buffer.AsSpan(0, read);
        // Windows editors and PowerShell 5's '>' write UTF-16; say so rather than count its bytes as characters.
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            throw new FormatException("鍵ファイルがUTF-16です。ASCII（またはUTF-8）で保存してください / the key file is UTF-16: save it as ASCII (or UTF-8)");
        if (bytes is [0xEF, 0xBB, 0xBF, ..]) bytes = bytes[3..]; // a UTF-8 byte order mark says nothing of the key
        var text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
        if (text.Length != 64)
            throw new FormatException($"鍵ファイルには16進数64文字が必要ですが、{text.Length}文字です / the key file must hold 64 hex characters, it holds {text.Length}");
        try { return Convert.FromHexString(text); }
        catch (FormatException) { throw new FormatException("鍵ファイルには16進数（0-9, a-f）だけを書いてください / the key file must hold only hex characters (0-9, a-f)"); }
    }

    /// <summary>
    /// Reads any eleven digits as the conversion takes them (full-width digits and separators
    /// accepted, no check digit required), saying why when the text is not eleven digits.
    /// </summary>
    public static bool TryReadElevenDigits(string? text, out long elevenDigits, out NumberProblem? problem)
    {
        Span<byte> digits = stackalloc byte[11];
        elevenDigits = 0;
        if (!Digits.TryRead(NumberKind.ResidentRecordCode, (text ?? "").AsSpan(), digits, out problem)) return false;
        elevenDigits = Digits.ToInt64(digits);
        return true;
    }

    /// <summary>The eleven-digit conversion of any eleven digits, without a check digit.</summary>
    public long DerivePayload(long elevenDigits, int reissueCount = 0)
    {
        if (elevenDigits is < 0 or >= Limit) throw new ArgumentOutOfRangeException(nameof(elevenDigits));
        Span<long> result = stackalloc long[1];
        Conversion(reissueCount).Encrypt([elevenDigits], result);
        return result[0];
    }

    /// <summary>
    /// The eleven-digit conversion of many inputs at once (<paramref name="payloads"/>[i] for
    /// <paramref name="elevenDigits"/>[i]); check digits are added by <see cref="IndividualNumber.FromPayload"/>.
    /// Large inputs are split into chunks run on every core. Every input is checked before any is converted.
    /// </summary>
    public unsafe void DeriveMany(ReadOnlySpan<long> elevenDigits, Span<long> payloads, int reissueCount = 0)
    {
        if (payloads.Length < elevenDigits.Length) throw new ArgumentException("payloads is shorter than the input", nameof(payloads));
        foreach (var x in elevenDigits)
            if ((ulong)x >= Limit) throw new ArgumentOutOfRangeException(nameof(elevenDigits), "an input is not eleven digits");
        var conversion = Conversion(reissueCount);
        if (elevenDigits.Length < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            conversion.Encrypt(elevenDigits, payloads);
            return;
        }
        var total = elevenDigits.Length;
        fixed (long* input = elevenDigits)
        fixed (long* output = payloads)
        {
            // Spans cannot enter a lambda; the addresses can, and stay fixed until Parallel.For returns.
            var (from, to) = ((nint)input, (nint)output);
            Parallel.For(0, (total + ChunkSize - 1) / ChunkSize, chunk =>
            {
                var start = chunk * ChunkSize;
                var length = Math.Min(ChunkSize, total - start);
                conversion.Encrypt(new ReadOnlySpan<long>((long*)from + start, length), new Span<long>((long*)to + start, length));
            });
        }
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

    public void Dispose()
    {
        disposed = true;
        foreach (var conversion in byReissueCount.Values)
            if (conversion.IsValueCreated) conversion.Value.Dispose();
        byReissueCount.Clear();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
    }
}
