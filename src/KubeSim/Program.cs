using System.Runtime.InteropServices;
using Fleet.KubeSim;
using Fleet.KubeSim.Hosting;

CommandLineResult parsed;
try
{
    parsed = CommandLine.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"kubesim: {e.Message}\n\n{CommandLine.Usage}");
    return 2;
}

if (parsed.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });
await using var server = await KubeSimServer.StartAsync(parsed.Options, stop.Token);
if (parsed.CaOut is { } caOut && server.CaCertificatePem is { } pem)
{
    await File.WriteAllTextAsync(caOut, pem);
}

Console.WriteLine($"kubesim: serving {server.ClusterNames.Count} clusters at {server.BaseUri}clusters/NAME (admin API at {server.BaseUri}_sim/)");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("kubesim: stopping");
}

return 0;
