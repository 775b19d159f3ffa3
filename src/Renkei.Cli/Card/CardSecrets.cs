using System.Text;
using Renkei.Pki.Cards;

namespace Renkei.Cli.Card;

/// <summary>
/// PINs and the signing password kept off the command line, where <c>ps</c> and the shell's history show them: the value
/// <c>-</c> reads one from a prompt that does not echo when standard input is a terminal, else from the next line of standard
/// input (one line each, in the order the options are listed); a required one left out is prompted for on a terminal.
/// </summary>
public static class CardSecrets
{
    public const string FromInput = "-";

    /// <summary>What the holder calls each secret, Japanese and English.</summary>
    public static (string Japanese, string English) Label(CardPin pin) => pin switch
    {
        CardPin.Signing => ("署名用パスワード", "signing password"),
        CardPin.Authentication => ("利用者証明用暗証番号", "authentication PIN"),
        _ => ("券面事項入力補助用暗証番号", "input-assist PIN"),
    };

    /// <summary>
    /// The secret given as <paramref name="given"/> to <paramref name="option"/>, read where it says; null with
    /// <paramref name="error"/> when there is none to read. <paramref name="confirm"/> asks twice at a prompt: a new PIN typed blind.
    /// A new one also has its format checked as soon as it is had, before its confirmation and before the next secret is asked for:
    /// a lowercase signing password was refused only after everything had been typed twice.
    /// </summary>
    public static string? Read(string? given, string option, CardPin pin, bool confirm, out string? error) =>
        Read(given, option, Label(pin), confirm ? pin : null, out error);

    /// <summary>
    /// The holder's Individual Number given to <paramref name="option"/>, read where it says: <c>-</c> keeps it off the command
    /// line, out of <c>ps</c> and the shell's history, as for a PIN; it is read first, before any PIN.
    /// </summary>
    public static string? ReadNumber(string? given, string option, out string? error) =>
        Read(given, option, ("個人番号", "Individual Number"), newSecret: null, out error);

    private static string? Read(string? given, string option, (string Japanese, string English) label, CardPin? newSecret, out string? error)
    {
        error = null;
        if (given is not null && given != FromInput) return Checked(given, newSecret, out error);
        var (japanese, english) = label;
        if (!Console.IsInputRedirected)
        {
            var first = Prompt($"{japanese} / {english}");
            if (first is null)
            {
                error = $"{japanese}が入力されませんでした / no {english} was typed";
                return null;
            }
            if (newSecret is null) return first;
            if (Checked(first, newSecret, out error) is null) return null;
            // Compared as the card keeps them: full-width digits and capitals are the half-width ones (an input method's full-width mode).
            if (IndividualNumberCard.HalfWidth(Prompt($"{japanese}（確認）/ {english} again")) != IndividualNumberCard.HalfWidth(first))
            {
                error = $"{japanese}が一致しません。もう一度実行してください / the two {english}s differ; run the command again";
                return null;
            }
            return first;
        }
        if (given is null)
        {
            error = $"{option} を指定してください（「{option} -」なら標準入力の1行から読みます）/ give {option}, or {option} - to read it from a line of standard input";
            return null;
        }
        // ReadLine drops the line's end ("\n" or "\r\n"): the line is the secret, as typed.
        var line = Console.In.ReadLine();
        if (line is null)
        {
            error = $"標準入力に{japanese}の行がありません（{option} -）/ standard input has no line for {option} -";
            return null;
        }
        return Checked(line, newSecret, out error);
    }

    /// <summary><paramref name="value"/>, or null with the card's own words when it cannot be <paramref name="newSecret"/> (null: anything goes).</summary>
    private static string? Checked(string value, CardPin? newSecret, out string? error)
    {
        error = newSecret is { } pin && !IndividualNumberCard.IsValidFormat(pin, value) ? new PinCheck(false, 0, false, true, pin).Message : null;
        return error is null ? value : null;
    }

    /// <summary>
    /// Reads a line from the terminal without echoing it; null when nothing was typed before Enter or Ctrl+D. Echo is turned off
    /// before the prompt is written: Console.ReadKey turns it off only while each key is awaited, so what is typed before the
    /// first read or between two reads would show.
    /// </summary>
    private static string? Prompt(string label)
    {
        if (OperatingSystem.IsWindows()) return PromptByKeys(label);
        using var quiet = TerminalEcho.Off();
        Console.Error.Write($"{label}: ");
        Console.Error.Flush();
        // The terminal's own line editing (backspace, Ctrl+U) applies: the line is read from the descriptor, not through Console.In,
        // which on a terminal echoes what it reads itself.
        using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
        var bytes = new List<byte>();
        int b;
        while ((b = input.ReadByte()) is not (-1 or '\n')) bytes.Add((byte)b);
        Console.Error.WriteLine();
        var line = Encoding.UTF8.GetString([.. bytes]).TrimEnd('\r');
        return line.Length == 0 ? null : line;
    }

    private static string? PromptByKeys(string label)
    {
        Console.Error.Write($"{label}: ");
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.Length == 0 ? null : text.ToString();
    }
}
