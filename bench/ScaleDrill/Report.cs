using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Bench.ScaleDrill;

/// <summary>A curve of the drill: a value (placements Ready, clusters on the new revision) over seconds since the start.</summary>
internal sealed class Series(string name)
{
    private readonly Lock _gate = new();

    public string Name { get; } = name;

    public List<(double Seconds, double Value)> Points { get; } = [];

    public void Add(TimeSpan at, double value)
    {
        lock (_gate)
        {
            Points.Add((at.TotalSeconds, value));
        }
    }

    public JsonArray ToJson() => new(Points.Select(p => (JsonNode)new JsonArray(Math.Round(p.Seconds, 2), p.Value)).ToArray());
}

/// <summary>What the drill prints and writes: a table of figures, a JSON file and PNG plots of the curves.</summary>
internal sealed class Report(string directory)
{
    private readonly List<(string Section, string What, string Value)> _rows = [];
    private readonly JsonObject _json = new();

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>A figure: a row of the table and a field of the JSON file (<paramref name="section"/>.<paramref name="key"/>).</summary>
    public void Add(string section, string key, string what, double value, string unit, string format = "0.0")
    {
        var text = value.ToString(format, CultureInfo.InvariantCulture) + (unit.Length > 0 ? " " + unit : "");
        _rows.Add((section, what, text));
        Section(section)[key] = double.IsFinite(value) ? Math.Round(value, 4) : null;
        Console.WriteLine($"  {section}: {what} = {text}");
    }

    /// <summary>A fact that is not a number (the command, the machine).</summary>
    public void Note(string section, string key, string value)
    {
        Section(section)[key] = value;
    }

    public void AddSeries(string section, Series series) =>
        Section(section)[series.Name] = series.ToJson();

    /// <summary>Prints the table and writes <c>scale-drill.json</c>.</summary>
    public string Write()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var width = _rows.Count == 0 ? 10 : _rows.Max(r => r.Section.Length + r.What.Length + 3);
        Console.WriteLine();
        Console.WriteLine($"{"figure".PadRight(width)}  value");
        Console.WriteLine($"{new string('-', width)}  {new string('-', 16)}");
        foreach (var (section, what, value) in _rows)
        {
            Console.WriteLine($"{$"{section}: {what}".PadRight(width)}  {value}");
        }

        var path = Path.Combine(Directory, "scale-drill.json");
        File.WriteAllText(path, _json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"\nwrote {path}");
        return path;
    }

    /// <summary>A PNG line plot of curves over time (ScottPlot).</summary>
    public string Plot(string file, string title, string yLabel, params Series[] series)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var plot = new ScottPlot.Plot();
        foreach (var s in series.Where(s => s.Points.Count > 0))
        {
            var line = plot.Add.Scatter(s.Points.Select(p => p.Seconds).ToArray(), s.Points.Select(p => p.Value).ToArray());
            line.LegendText = s.Name;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        plot.Title(title);
        plot.XLabel("seconds");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        var path = Path.Combine(Directory, file);
        plot.SavePng(path, 900, 540);
        Console.WriteLine($"wrote {path}");
        return path;
    }

    private JsonObject Section(string name)
    {
        if (_json[name] is not JsonObject section)
        {
            section = new JsonObject();
            _json[name] = section;
        }

        return section;
    }
}
