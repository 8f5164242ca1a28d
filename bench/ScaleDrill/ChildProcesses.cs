using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// Every process the drill starts (KubeSim, silos, the gateway) is registered here and killed when the drill ends: on a
/// normal exit, on Ctrl-C, SIGTERM or SIGHUP, and on an unhandled exception. A drill killed with SIGKILL cannot run
/// any handler, so each registration is also written to a pid file named after the drill's own pid; the next drill
/// kills what a dead drill left behind (checking the command line first, so a reused pid is never hit).
/// PostgreSQL is not registered: <c>PostgresServer</c> cleans up after dead owners the same way.
/// </summary>
internal static class ChildProcesses
{
    private static readonly Lock Gate = new();
    private static readonly List<Process> Children = [];
    private static readonly string Directory = Path.Combine(Path.GetTempPath(), "fleet-scale-drill-children");
    private static readonly List<PosixSignalRegistration> Signals = [];
    private static readonly List<Action> Cleanups = [];
    private static bool _installed;

    private static string PidFile => Path.Combine(Directory, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".pids");

    /// <summary>Installs the exit handlers and kills what drills that died earlier left running.</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (_installed)
            {
                return;
            }

            _installed = true;
        }

        System.IO.Directory.CreateDirectory(Directory);
        KillAbandoned();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            Signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                Console.Error.WriteLine($"scale drill: {context.Signal}, stopping every child process");
                KillAll();
            }));
        }
    }

    /// <summary>Starts a process that the drill owns: killed when the drill ends, however it ends.</summary>
    public static Process Start(ProcessStartInfo psi)
    {
        Install();
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        Register(p);
        return p;
    }

    /// <summary>Registers a process started elsewhere (a <c>SiloProcess</c>).</summary>
    public static void Register(int pid)
    {
        Install();
        try
        {
            Register(Process.GetProcessById(pid));
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static void Register(Process p)
    {
        lock (Gate)
        {
            Children.Add(p);
            File.AppendAllText(PidFile, p.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    /// <summary>Something else to stop when the drill ends (PostgreSQL), after the children are killed.</summary>
    public static void OnExit(Action cleanup)
    {
        Install();
        lock (Gate)
        {
            Cleanups.Add(cleanup);
        }
    }

    /// <summary>Kills every registered child still running (the whole tree of each), then runs the other clean-ups.</summary>
    public static void KillAll()
    {
        List<Process> children;
        List<Action> cleanups;
        lock (Gate)
        {
            children = [.. Children];
            Children.Clear();
            cleanups = [.. Cleanups];
            Cleanups.Clear();
        }

        foreach (var p in children)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }

        foreach (var cleanup in cleanups)
        {
            try
            {
                cleanup();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"scale drill: clean-up failed: {e.Message}");
            }
        }

        try
        {
            File.Delete(PidFile);
        }
        catch (IOException)
        {
            // Removed by the next drill.
        }
    }

    private static void KillAbandoned()
    {
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.pids"))
        {
            if (!int.TryParse(Path.GetFileNameWithoutExtension(file), out var owner) || IsAlive(owner))
            {
                continue;
            }

            foreach (var line in File.ReadAllLines(file))
            {
                if (int.TryParse(line, out var pid) && IsAlive(pid) && IsFleetProcess(pid))
                {
                    try
                    {
                        using var p = Process.GetProcessById(pid);
                        Console.Error.WriteLine($"scale drill: killing process {pid} left by drill {owner}, which died");
                        p.Kill(entireProcessTree: true);
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                        // Gone, or not ours.
                    }
                }
            }

            File.Delete(file);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Only Fleet's own processes are killed: a pid reused by anything else is left alone.</summary>
    private static bool IsFleetProcess(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("Fleet.", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
