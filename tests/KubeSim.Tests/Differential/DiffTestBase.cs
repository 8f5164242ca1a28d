using System.Text;

namespace Fleet.KubeSim.Tests.Differential;

/// <summary>Runs a scenario against the real kube-apiserver and against KubeSim and compares every answer.</summary>
[Collection(DiffCollection.Name)]
public abstract class DiffTestBase(DiffFixture fixture)
{
    protected async Task Compare(Func<DiffSession, Task> scenario)
    {
        var real = new DiffSession(fixture.Real);
        await scenario(real);
        var sim = new DiffSession(fixture.Sim);
        await scenario(sim);
        var report = new StringBuilder();
        for (var i = 0; i < Math.Max(real.Log.Count, sim.Log.Count); i++)
        {
            var r = i < real.Log.Count ? real.Log[i] : "(nothing)";
            var s = i < sim.Log.Count ? sim.Log[i] : "(nothing)";
            if (r != s)
            {
                report.Append($"--- step {i}: kube-apiserver answered\n{r}\n--- KubeSim answered\n{s}\n\n");
            }
        }

        Assert.True(report.Length == 0, report.ToString());
    }

    protected static Task Namespace(DiffSession s, string name) =>
        s.Send("POST", "api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");

    protected static string Deployment(string name, int? replicas = null, string image = "nginx:1.27") => """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME","labels":{"app":"NAME"}},
         "spec":{REPLICAS"selector":{"matchLabels":{"app":"NAME"}},
          "template":{"metadata":{"labels":{"app":"NAME"}},
           "spec":{"containers":[{"name":"web","image":"IMAGE","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"}]}]}}}}
        """.Replace("NAME", name, StringComparison.Ordinal).Replace("IMAGE", image, StringComparison.Ordinal)
        .Replace("REPLICAS", replicas is null ? string.Empty : $"\"replicas\":{replicas},", StringComparison.Ordinal);
}
