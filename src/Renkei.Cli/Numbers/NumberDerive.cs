using System.CommandLine;
using Renkei.Numbers;

namespace Renkei.Cli.Numbers;

/// <summary>
/// <c>renkei number derive</c>: the numbering conversion of any eleven digits under a key file,
/// one Individual Number per line in the order given. All input is checked before anything is printed.
/// </summary>
public static class NumberDerive
{
    public static Command Create()
    {
        var keyFile = new Option<string>("--key-file")
        {
            Description = "番号生成鍵のファイル（32バイトの鍵を16進数64文字で）/ the numbering key file: the 32-byte key as 64 hex characters",
            Required = true,
        };
        var reissue = new Option<int>("--reissue")
        {
            Description = "再交付の回数（0は指定時）/ the re-issue count used as the tweak (0: designation)",
            DefaultValueFactory = _ => 0,
        }.Between(0, int.MaxValue);
        var codes = new Argument<string[]>("CODE")
        {
            Description = "11桁の数字（住民票コードなど。全角数字・空白・ハイフン可）/ any eleven digits; full-width digits, spaces and hyphens are accepted",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("derive", "11桁の数字から個人番号を生成する（FF1、AES-256、基数10）/ derive the Individual Number from eleven digits (FF1, AES-256, radix 10)")
        {
            keyFile, reissue, codes,
        };
        command.SetAction(parse => Run(parse.GetValue(keyFile)!, parse.GetValue(reissue), parse.GetValue(codes)!, Console.Out, Console.Error));
        return command;
    }

    /// <summary>Derives and prints, or explains on <paramref name="error"/> and returns non-zero without printing any number.</summary>
    public static int Run(string keyFile, int reissueCount, IReadOnlyList<string> texts, TextWriter output, TextWriter error)
    {
        var failed = false;
        byte[]? key = null;
        try { key = IndividualNumberDeriver.ReadKeyFile(keyFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // The runtime's own words for these are misleading ("access denied" for a folder) or English only.
            var reason = e switch
            {
                _ when string.IsNullOrWhiteSpace(keyFile) => "パスが空です / the path is empty",
                _ when Directory.Exists(keyFile) => "ファイルではなくフォルダです / it is a folder, not a file",
                FileNotFoundException or DirectoryNotFoundException => "ファイルがありません / no such file",
                UnauthorizedAccessException => "読み取りの権限がありません / permission denied",
                _ => $"読み取りに失敗しました / reading failed: {e.Message}",
            };
            error.WriteLine($"鍵ファイルを読めません / cannot read the key file {keyFile}: {reason}");
            failed = true;
        }
        catch (FormatException e)
        {
            error.WriteLine($"鍵ファイルの形式が不正です / the key file {keyFile} is malformed: {e.Message}");
            failed = true;
        }

        var inputs = new long[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            if (IndividualNumberDeriver.TryReadElevenDigits(texts[i], out inputs[i], out var problem)) continue;
            // The argument is named by its place, not echoed: it may be a real code.
            error.WriteLine($"{i + 1}番目の入力が不正です / input {i + 1} is invalid: {Reason(problem!)}");
            failed = true;
        }
        if (failed || key is null) return 1;

        var payloads = new long[inputs.Length];
        using (var deriver = new IndividualNumberDeriver(key))
            deriver.DeriveMany(inputs, payloads, reissueCount);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        foreach (var payload in payloads) output.WriteLine(IndividualNumber.FromPayload(payload).Digits);
        output.Flush();
        return 0;
    }

    /// <summary>Any eleven digits are accepted, so a wrong count is not called a resident record code.</summary>
    private static string Reason(NumberProblem problem) => problem.Kind switch
    {
        NumberProblemKind.Empty => "数字が入力されていません / no digits given",
        NumberProblemKind.Length => $"11桁の数字が必要ですが、{problem.DigitCount}桁です / eleven digits are needed, this has {problem.DigitCount}",
        _ => problem.Message,
    };
}
