using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fleet.Cli.Output;

/// <summary>
/// Writes Spectre.Console tables the way kubectl prints: no borders, columns three spaces apart, no wrapping and no
/// trailing blanks, so that the output reads well and stays easy to cut with <c>awk</c> and <c>grep</c>.
/// </summary>
internal static class TableWriter
{
    public static Table Create(IEnumerable<string> headers)
    {
        var table = new Table { Border = TableBorder.None };
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(header).PadLeft(0).PadRight(3).NoWrap());
        }
        return table;
    }

    public static void AddRow(Table table, IEnumerable<string> cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    public static void Write(TextWriter output, IRenderable renderable, int indent = 0)
    {
        using var buffer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(buffer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 4096;
        console.Write(renderable);
        foreach (var line in buffer.ToString().Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length > 0)
            {
                output.Write(new string(' ', indent));
                output.WriteLine(trimmed);
            }
        }
    }
}
