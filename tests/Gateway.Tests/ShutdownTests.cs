using Fleet.Gateway.Tests.Support;

namespace Fleet.Gateway.Tests;

/// <summary>Stopping the silo (SIGTERM) while a long request is open.</summary>
public sealed class ShutdownTests
{
    [Theory]
    [InlineData("api/v1/events?watch=true")]
    [InlineData("api/v1/clusters?watch=true")]
    public async Task Stop_DuringAWatch_EndsTheStreamAndStopsCleanly(string watch)
    {
        await using var silo = await SiloHost.StartAsync();
        using var response = await silo.Http.GetAsync(watch, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var drained = Task.Run(async () =>
        {
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        });

        // Without a bound the host would wait its whole shutdown timeout on the open stream, then fail it.
        using var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stop = await Record.ExceptionAsync(() => silo.StopAsync(shutdownTimeout.Token));

        Assert.Null(stop);
        Assert.False(shutdownTimeout.IsCancellationRequested, "the host used its whole shutdown timeout");
        await drained;
    }
}
