using System.Globalization;

namespace Fleet.KubeSim.Hosting;

/// <summary>What the KubeSim program was asked to do.</summary>
internal sealed record CommandLineResult(KubeSimOptions Options, string? CaOut, bool Help);

/// <summary>
/// Parses the KubeSim program's flags. Hand-written because the flag set is small and fixed; it
/// accepts both <c>--flag value</c> and <c>--flag=value</c>, as kube tools do.
/// </summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage: kubesim [flags]
          --urls URL[;URL]        where to listen (default http://127.0.0.1:6443)
          --clusters N            create clusters sim-0001 ... sim-N (default 1)
          --cluster-names a,b,c   create clusters with these names instead
          --token T               bearer token clients must send (default: kubesim)
          --read-only-token T     a token that may read but not write
          --tls                   serve HTTPS with a self-signed CA
          --ca-out FILE           write that CA certificate (PEM) to FILE
          --ready-delay DURATION  how long workloads take to become ready (e.g. 2s, 500ms; default 2s)
          --watch-history N       watch events kept per cluster (default 128)
        """;

    public static CommandLineResult Parse(string[] args)
    {
        var options = new KubeSimOptions { Urls = "http://127.0.0.1:6443", Clusters = 1, ConsoleLogging = true };
        string? caOut = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"flag {arg} needs a value");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "-h" or "--help":
                    return new CommandLineResult(options, caOut, true);
                case "--urls":
                    options = options with { Urls = Value() };
                    break;
                case "--clusters":
                    var n = Value();
                    if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 100_000)
                    {
                        throw new ArgumentException($"--clusters: \"{n}\" is not a number between 0 and 100000");
                    }

                    options = options with { Clusters = count };
                    break;
                case "--cluster-names":
                    options = options with { ClusterNames = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                case "--token":
                    options = options with { Token = Value() };
                    break;
                case "--read-only-token":
                    options = options with { ReadOnlyToken = Value() };
                    break;
                case "--tls":
                    options = options with { Tls = inline is null || inline == "true" };
                    break;
                case "--ca-out":
                    caOut = Value();
                    break;
                case "--ready-delay":
                    options = options with { ReadyDelay = ParseDuration(Value(), "--ready-delay") };
                    break;
                case "--watch-history":
                    var h = Value();
                    if (!int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var history))
                    {
                        throw new ArgumentException($"--watch-history: \"{h}\" is not a non-negative number");
                    }

                    options = options with { WatchHistory = history };
                    break;
                default:
                    throw new ArgumentException($"unknown flag \"{args[i]}\"");
            }
        }

        if (options.Tls && options.Urls is { } urls)
        {
            options = options with { Urls = urls.Replace("http://", "https://", StringComparison.Ordinal) };
        }

        return new CommandLineResult(options, caOut, false);
    }

    /// <summary>Go-style durations (<c>1m30s</c>, <c>500ms</c>, <c>2s</c>) or plain seconds.</summary>
    public static TimeSpan ParseDuration(string text, string flag)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                throw new ArgumentException($"{flag}: invalid duration \"{text}\" (use e.g. 2s, 500ms, 1m30s)");
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            total += text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                var unit => throw new ArgumentException($"{flag}: invalid duration \"{text}\": unknown unit \"{unit}\""),
            };
        }

        return total;
    }
}
