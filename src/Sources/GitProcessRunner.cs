using System.Diagnostics;
using System.Text;

namespace Fleet.Sources;

/// <summary>The outcome of one git process.</summary>
internal sealed record GitProcessResult(int ExitCode, byte[] StandardOutput, string StandardError)
{
    public string Output => Encoding.UTF8.GetString(StandardOutput);
}

/// <summary>
/// Runs git as a child process: arguments as a list (no shell), a clean environment (no system or global
/// git config, no prompts), a deadline after which the whole process tree is killed.
/// Secrets only ever travel in <see cref="ProcessStartInfo.Environment"/>, which <c>ps</c> does not show.
/// </summary>
internal sealed class GitProcessRunner
{
    private readonly string _gitPath;

    public GitProcessRunner(string gitPath = "git")
    {
        _gitPath = gitPath;
    }

    /// <summary>Called with every start info before the process starts; tests record what was built.</summary>
    public Action<ProcessStartInfo>? StartInfoObserver { get; set; }

    public async Task<GitProcessResult> RunAsync(
        string? workingDirectory,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout,
        CancellationToken ct,
        Func<Stream, CancellationToken, Task>? writeInput = null,
        Func<Stream, CancellationToken, Task>? readOutput = null)
    {
        var psi = new ProcessStartInfo(_gitPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        // Whatever the host process has configured for git must not leak into a fetch: no repository
        // discovery from the environment, no user or system config (credential helpers, url rewrites), no prompts.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_ASKPASS"] = "";
        psi.Environment["SSH_ASKPASS"] = "";
        psi.Environment["LC_ALL"] = "C";

        // Only the transports a source may use; never ext:: or fd:: (which run commands).
        psi.Environment["GIT_ALLOW_PROTOCOL"] = "http:https:ssh:file";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        StartInfoObserver?.Invoke(psi);

        using var process = new Process { StartInfo = psi };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"cannot start git ('{_gitPath}'): {ex.Message}", ex);
        }

        await using var killOnCancel = deadline.Token.Register(() => KillTree(process));
        try
        {
            var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);
            Task<byte[]> stdoutTask;
            if (readOutput is not null)
            {
                var stdout = process.StandardOutput.BaseStream;
                stdoutTask = Task.Run(async () =>
                {
                    await readOutput(stdout, deadline.Token);
                    return Array.Empty<byte>();
                }, CancellationToken.None);
            }
            else
            {
                stdoutTask = ReadAllAsync(process.StandardOutput.BaseStream);
            }

            // Input is written while output is read, so that neither pipe can fill up and stall git.
            var stdin = process.StandardInput.BaseStream;
            var stdinTask = Task.Run(async () =>
            {
                try
                {
                    if (writeInput is not null)
                    {
                        await writeInput(stdin, deadline.Token);
                    }

                    stdin.Close();
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // git exited or was killed before reading all input; its exit code and stderr say why.
                }
            }, CancellationToken.None);

            byte[] output;
            try
            {
                output = await stdoutTask;
            }
            catch (Exception) when (deadline.IsCancellationRequested)
            {
                output = [];
            }
            catch
            {
                // The reader gave up (for example an artifact over its size limit): stop git at once.
                KillTree(process);
                await stdinTask;
                throw;
            }

            await stdinTask;
            var error = await stderrTask;
            await process.WaitForExitAsync(CancellationToken.None);
            if (deadline.IsCancellationRequested)
            {
                ct.ThrowIfCancellationRequested();
                throw new GitSourceException(
                    GitSourceReasons.GitOperationFailed,
                    $"git {arguments.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal))} timed out after {timeout.TotalSeconds:0.###}s");
            }

            return new GitProcessResult(process.ExitCode, output, error);
        }
        finally
        {
            KillTree(process);
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // The process exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // The process is already gone.
        }
    }
}
