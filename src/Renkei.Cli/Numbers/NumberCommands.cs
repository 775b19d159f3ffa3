using System.CommandLine;
using Renkei.Hosting;
using Renkei.Numbers;

namespace Renkei.Cli.Numbers;

/// <summary><c>renkei number …</c>: check and derive identity numbers.</summary>
public static class NumberCommands
{
    public static Command Create()
    {
        var number = new Command("number", "番号の検査と生成 / check and derive identity numbers");
        number.Subcommands.Add(Check());
        number.Subcommands.Add(NumberDerive.Create());
        return number;
    }

    private static Command Check()
    {
        var kind = new Option<string?>("--kind") { Description = "番号の種類: individual（個人番号）または corporate（法人番号）。省略時は桁数で決める / individual or corporate; by default the digit count decides" }
            .OneOf("individual", "corporate");
        var numbers = new Argument<string[]>("NUMBER") { Description = "番号（全角数字・空白・ハイフン可）/ numbers; full-width digits, spaces and hyphens are accepted", Arity = ArgumentArity.OneOrMore };
        // A mistyped option (--knd) would otherwise be checked as a number; a number never holds a Latin letter.
        numbers.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-') && token.Value.Any(char.IsAsciiLetter))
                    result.AddError($"不明なオプションです: {token.Value} / unknown option: {token.Value}");
        });
        var command = new Command("check", "番号の検査用数字を確かめる（すべて有効なときだけ終了コード0）/ check numbers; exits 0 only if all are valid") { kind, numbers };
        command.SetAction(parse =>
        {
            var allValid = true;
            foreach (var text in parse.GetValue(numbers)!)
            {
                var (label, problem) = CheckOne(text, parse.GetValue(kind));
                allValid &= problem is null;
                Console.Out.WriteLine($"{Shown(text)}\t{label}\t{(problem is null ? "有効 / valid" : "無効 / invalid: " + problem.Message)}");
            }
            return allValid ? 0 : 1;
        });
        return command;
    }

    /// <summary>Checks one number as the given kind, or as the kind its digit count suggests.</summary>
    public static (string Kind, NumberProblem? Problem) CheckOne(string text, string? kind)
    {
        var individual = kind == "individual" || (kind is null && CountDigits(text) != 13);
        if (individual)
        {
            IndividualNumber.TryParse(text, out _, out var p);
            return ("individual", p);
        }
        CorporateNumber.TryParse(text, out _, out var q);
        return ("corporate", q);
    }

    /// <summary>
    /// The number as given, with control characters, line separators and invisible format characters written out as \uXXXX
    /// (the one rule of every log line, <see cref="LogText"/>): each stays one line of three tab-separated fields, and a
    /// right-to-left override cannot turn the rest of the terminal line around.
    /// </summary>
    private static string Shown(string text) => LogText.Escape(text);

    private static int CountDigits(string text) => text.Count(c => c is >= '0' and <= '9' or >= '０' and <= '９');
}
