using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Renkei.Numbers;

/// <summary>
/// FF1 format-preserving encryption (NIST SP 800-38G) over AES, for any radix from 2 to 2^16 and
/// any tweak. This is the reference form of the algorithm, written to read like the standard;
/// <see cref="IndividualNumberDeriver"/> is the fast form for eleven decimal digits.
/// </summary>
public sealed class Ff1 : IDisposable
{
    private readonly Aes aes;

    /// <summary>FF1 under an AES key of 16, 24 or 32 bytes, for numerals in <paramref name="radix"/> (2 to 65,536).</summary>
    /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The radix is outside 2 to 65,536.</exception>
    public Ff1(ReadOnlySpan<byte> key, int radix)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("FF1 needs an AES key of 16, 24 or 32 bytes", nameof(key));
        if (radix is < 2 or > 65536) throw new ArgumentOutOfRangeException(nameof(radix));
        aes = Aes.Create();
        aes.Key = key.ToArray();
        Radix = radix;
    }

    /// <summary>The base of the numerals: each numeral is from 0 to <c>Radix − 1</c>.</summary>
    public int Radix { get; }

    /// <summary>SP 800-38G Rev. 1: radix^minlen must be at least a million, so that the domain cannot be enumerated.</summary>
    public const int MinimumDomain = 1_000_000;

    /// <summary>The fewest numerals FF1 accepts in <paramref name="radix"/>.</summary>
    public static int MinimumLength(int radix)
    {
        var length = 2;
        while (BigInteger.Pow(radix, length) < MinimumDomain) length++;
        return length;
    }

    /// <summary>
    /// Encrypts a string of numerals, most significant first (the standard's X; e.g. the digits of "0123456789" as
    /// 0, 1, …, 9 in radix 10), under a tweak of any bytes (the standard's T; empty for none). The result has as many
    /// numerals, each below <see cref="Radix"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer numerals than <see cref="MinimumLength"/>, or a numeral not below <see cref="Radix"/>.</exception>
    public int[] Encrypt(ReadOnlySpan<int> numerals, ReadOnlySpan<byte> tweak) => Run(numerals, tweak, encrypt: true);

    /// <summary>The inverse of <see cref="Encrypt"/> under the same key and tweak.</summary>
    public int[] Decrypt(ReadOnlySpan<int> numerals, ReadOnlySpan<byte> tweak) => Run(numerals, tweak, encrypt: false);

    private int[] Run(ReadOnlySpan<int> x, ReadOnlySpan<byte> tweak, bool encrypt)
    {
        var n = x.Length;
        if (n < MinimumLength(Radix))
            throw new ArgumentException($"FF1 needs at least {MinimumLength(Radix)} numerals in radix {Radix} (radix^length >= 1,000,000)", nameof(x));
        foreach (var numeral in x)
            if (numeral < 0 || numeral >= Radix) throw new ArgumentException($"numeral {numeral} is outside radix {Radix}", nameof(x));
        var t = tweak.Length;
        var u = n / 2;
        var v = n - u;
        var a = x[..u].ToArray();
        var b = x[u..].ToArray();
        // b = ceil(ceil(v·log2 radix) / 8): the bit length of radix^v − 1 is exactly ceil(v·log2 radix).
        var byteCount = (int)((BigInteger.Pow(Radix, v) - 1).GetBitLength() + 7) / 8;
        var d = 4 * ((byteCount + 3) / 4) + 4;

        Span<byte> p = stackalloc byte[16];
        p[0] = 1; p[1] = 2; p[2] = 1;
        p[3] = (byte)(Radix >> 16); p[4] = (byte)(Radix >> 8); p[5] = (byte)Radix;
        p[6] = 10; p[7] = (byte)(u % 256);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], (uint)n);
        BinaryPrimitives.WriteUInt32BigEndian(p[12..], (uint)t);

        var padding = ((-t - byteCount - 1) % 16 + 16) % 16;
        var q = new byte[t + padding + 1 + byteCount];
        tweak.CopyTo(q);

        for (var step = 0; step < 10; step++)
        {
            var i = encrypt ? step : 9 - step;
            var m = i % 2 == 0 ? u : v;
            // Encryption feeds B into the round function; decryption runs it backwards on A.
            var fed = encrypt ? b : a;
            q[t + padding] = (byte)i;
            WriteBigEndian(Num(fed), q.AsSpan(t + padding + 1, byteCount));
            var y = new BigInteger(Stretch(Prf(p, q), d), isUnsigned: true, isBigEndian: true);
            var modulus = BigInteger.Pow(Radix, m);
            if (encrypt)
            {
                var c = (Num(a) + y) % modulus;
                a = b;
                b = Str(c, m);
            }
            else
            {
                var c = ((Num(b) - y) % modulus + modulus) % modulus;
                b = a;
                a = Str(c, m);
            }
        }
        return [.. a, .. b];
    }

    /// <summary>The CBC-MAC of P || Q under the key (zero IV): the last ciphertext block.</summary>
    private byte[] Prf(ReadOnlySpan<byte> p, ReadOnlySpan<byte> q)
    {
        var input = new byte[p.Length + q.Length];
        p.CopyTo(input);
        q.CopyTo(input.AsSpan(p.Length));
        var output = aes.EncryptCbc(input, new byte[16], PaddingMode.None);
        return output[^16..];
    }

    /// <summary>S: R followed by CIPH(R ⊕ [j]^16) for j = 1, 2, … until there are d bytes.</summary>
    private byte[] Stretch(byte[] r, int d)
    {
        var s = new List<byte>(r);
        for (var j = 1; s.Count < d; j++)
        {
            var block = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(block.AsSpan(8), (ulong)j);
            for (var k = 0; k < 16; k++) block[k] ^= r[k];
            s.AddRange(aes.EncryptEcb(block, PaddingMode.None));
        }
        return s.Take(d).ToArray();
    }

    private BigInteger Num(int[] numerals)
    {
        BigInteger value = BigInteger.Zero;
        foreach (var numeral in numerals) value = value * Radix + numeral;
        return value;
    }

    private int[] Str(BigInteger value, int m)
    {
        var result = new int[m];
        for (var i = m - 1; i >= 0; i--)
        {
            result[i] = (int)(value % Radix);
            value /= Radix;
        }
        return result;
    }

    private static void WriteBigEndian(BigInteger value, Span<byte> destination)
    {
        destination.Clear();
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        bytes.CopyTo(destination[(destination.Length - bytes.Length)..]);
    }

    public void Dispose() => aes.Dispose();
}
