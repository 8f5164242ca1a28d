using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Fleet.Cli.Output;

/// <summary>A unified diff (<c>diff -u</c>, three lines of context) of two texts; the line diff itself is DiffPlex's.</summary>
internal static class UnifiedDiff
{
    private const int Context = 3;

    public static string Write(string before, string after, string beforeLabel, string afterLabel)
    {
        var lines = InlineDiffBuilder.Diff(before, after, ignoreWhiteSpace: false).Lines
            .Where(l => l.Type != ChangeType.Imaginary)
            .ToList();
        var text = new StringBuilder();
        text.Append("--- ").Append(beforeLabel).Append('\n');
        text.Append("+++ ").Append(afterLabel).Append('\n');
        // Old and new line numbers at the start of each diff line.
        var oldAt = new int[lines.Count + 1];
        var newAt = new int[lines.Count + 1];
        for (var i = 0; i < lines.Count; i++)
        {
            oldAt[i + 1] = oldAt[i] + (lines[i].Type == ChangeType.Inserted ? 0 : 1);
            newAt[i + 1] = newAt[i] + (lines[i].Type == ChangeType.Deleted ? 0 : 1);
        }
        var i0 = 0;
        while (i0 < lines.Count)
        {
            var firstChange = lines.FindIndex(i0, l => l.Type != ChangeType.Unchanged);
            if (firstChange < 0)
            {
                break;
            }
            var start = Math.Max(i0, firstChange - Context);
            var end = firstChange;
            // Extend the hunk while the next change is within two contexts of the last one.
            while (true)
            {
                var lastChange = end;
                while (end < lines.Count && lines[end].Type != ChangeType.Unchanged)
                {
                    lastChange = end++;
                }
                var next = lines.FindIndex(end, l => l.Type != ChangeType.Unchanged);
                if (next >= 0 && next - lastChange - 1 <= 2 * Context)
                {
                    end = next;
                    continue;
                }
                end = Math.Min(lines.Count, lastChange + 1 + Context);
                break;
            }
            var oldCount = oldAt[end] - oldAt[start];
            var newCount = newAt[end] - newAt[start];
            text.Append($"@@ -{(oldCount == 0 ? oldAt[start] : oldAt[start] + 1)},{oldCount} +{(newCount == 0 ? newAt[start] : newAt[start] + 1)},{newCount} @@\n");
            for (var i = start; i < end; i++)
            {
                text.Append(lines[i].Type switch
                {
                    ChangeType.Inserted => '+',
                    ChangeType.Deleted => '-',
                    _ => ' ',
                }).Append(lines[i].Text).Append('\n');
            }
            i0 = end;
        }
        return text.ToString();
    }
}
