using System.Text.RegularExpressions;

namespace Renkei.Cli;

/// <summary>
/// Japanese for System.CommandLine's own messages about a command line it cannot parse. Its Japanese resources leave half
/// of these in English, and ours are "日本語 / English" anyway, so each known English line gets its Japanese put before it.
/// </summary>
public static class UsageErrors
{
    private static readonly (Regex English, string Japanese)[] Known =
    [
        (new(@"^Required command was not provided\.$"), "コマンドを指定してください"),
        (new(@"^Unrecognized command or argument '(.*)'\.$"), "「$1」というコマンドや引数はありません"),
        (new(@"^Option '(.*)' is required\.$"), "オプション $1 は必須です"),
        (new(@"^Required argument missing for command: '(.*)'\.$"), "コマンド $1 に必要な引数がありません"),
        (new(@"^Required argument missing for option: '(.*)'\.$"), "オプション $1 に値がありません"),
        (new(@"^Option '(.*)' expects a single argument but (\d+) were provided\.$"), "オプション $1 の値は一つだけです（$2 個あります）"),
        (new(@"^Argument '(.*)' not recognized\. Must be one of:(.*)$"), "「$1」は使えません。次のいずれかです:$2"),
        (new(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\..*$"), "オプション $2 の値「$1」を読めません"),
        (new(@"^Cannot parse argument '(.*)' for command '(.*)' as expected type '(.*)'\..*$"), "コマンド $2 の引数「$1」を読めません"),
        (new(@"^Cannot parse argument '(.*)' as expected type '(.*)'\..*$"), "引数「$1」を読めません"),
        (new(@"^'(.*)' was not matched\. Did you mean one of the following\?$"), "「$1」はありません。次のどれかですか"),
        (new(@"^(.*) option cannot be combined with other arguments\.$"), "$1 は他の引数と一緒に使えません"),
    ];

    /// <summary>Each line of <paramref name="text"/> that is one of the known English messages becomes "日本語 / English".</summary>
    public static string Bilingual(string text)
    {
        if (text.Length == 0) return text;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            foreach (var (english, japanese) in Known)
                if (english.Match(line) is { Success: true } match)
                {
                    lines[i] = $"{match.Result(japanese)} / {line}";
                    break;
                }
        }
        return string.Join('\n', lines);
    }
}
