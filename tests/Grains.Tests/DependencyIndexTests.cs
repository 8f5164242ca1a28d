using Fleet.Grains.Dispatch;

namespace Fleet.Grains.Tests;

public sealed class DependencyIndexTests
{
    private const string App = """{"sourceRef":{"kind":"GitRepository","name":"repo"},"dependsOn":[{"name":"infra"}],"clusterSelector":{"matchLabels":{"env":"prod"}},"postBuild":{"substituteFrom":[{"kind":"Secret","name":"vars"}]}}""";

    private static Dictionary<string, string> Labels(string env) => new() { ["env"] = env };

    [Fact]
    public void Application_IsFoundFromItsSource_ItsDependency_AndItsSubstitutionSecret()
    {
        var index = new DependencyIndex();
        index.Update("Application", "a", "web", App, null);
        Assert.Equal([("Application", "web")], index.DependentsOf("GitRepository", "a", "repo"));
        Assert.Equal([("Application", "web")], index.DependentsOf("Application", "a", "infra"));
        Assert.Equal([("Application", "web")], index.DependentsOf("Secret", "a", "vars"));

        // Namespaces are tenants: the same names elsewhere find nothing.
        Assert.Empty(index.DependentsOf("GitRepository", "b", "repo"));
    }

    [Fact]
    public void Update_ReplacesOldReferences_AndDeleteRemovesThem()
    {
        var index = new DependencyIndex();
        index.Update("Application", "a", "web", App, null);
        index.Update("Application", "a", "web", App.Replace("\"name\":\"repo\"", "\"name\":\"other\"", StringComparison.Ordinal), null);
        Assert.Empty(index.DependentsOf("GitRepository", "a", "repo"));
        Assert.Equal([("Application", "web")], index.DependentsOf("GitRepository", "a", "other"));
        index.Update("Application", "a", "web", null, null);
        Assert.Empty(index.DependentsOf("GitRepository", "a", "other"));
        Assert.Empty(index.ApplicationsSelecting("a", "c1", Labels("prod")));
    }

    [Fact]
    public void CredentialsOfClustersSourcesAndReceivers_AreIndexed()
    {
        var index = new DependencyIndex();
        index.Update("Cluster", "a", "c1", """{"server":"https://x","credentialsRef":{"name":"creds"}}""", Labels("prod"));
        index.Update("GitRepository", "a", "repo", """{"url":"https://x","secretRef":{"name":"creds"}}""", null);
        index.Update("Receiver", "a", "hook", """{"type":"github","resources":[],"secretRef":{"name":"token"}}""", null);
        Assert.Equal([("Cluster", "c1"), ("GitRepository", "repo")], index.DependentsOf("Secret", "a", "creds").OrderBy(d => d.Kind));
        Assert.Equal([("Receiver", "hook")], index.DependentsOf("Secret", "a", "token"));
    }

    [Theory]
    [InlineData("prod", "prod", true)]
    [InlineData("prod", "dev", true)]
    [InlineData("dev", "prod", true)]
    [InlineData("dev", "dev", false)]
    public void ClusterLabelChange_HintsApplicationsItJoinsOrLeaves(string before, string after, bool hinted)
    {
        var index = new DependencyIndex();
        index.Update("Application", "a", "web", App, null);
        index.Update("Cluster", "a", "c1", """{"server":"https://x"}""", Labels(before));
        Assert.Equal(hinted, index.ApplicationsSelecting("a", "c1", Labels(after)).Contains("web"));
    }
}
