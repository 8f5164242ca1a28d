using System.Text.Json.Nodes;

namespace Fleet.Rendering.Tests;

public sealed class PostBuildTests
{
    private static readonly Dictionary<string, string> Vars = new()
    {
        ["cluster_name"] = "east-1",
        ["empty"] = string.Empty,
        ["path"] = "/usr/local/bin",
        ["replicas"] = "3",
    };

    [Theory]
    [InlineData("${cluster_name}", "east-1")]
    [InlineData("pre-${cluster_name}-post", "pre-east-1-post")]
    [InlineData("${missing}", "")]
    [InlineData("${missing:=fallback}", "fallback")]
    [InlineData("${missing:-fallback}", "fallback")]
    [InlineData("${empty:=fallback}", "fallback")]
    [InlineData("${empty=fallback}", "")]
    [InlineData("${missing=fallback}", "fallback")]
    [InlineData("${cluster_name:=fallback}", "east-1")]
    [InlineData("${missing:=${cluster_name}}", "east-1")]
    [InlineData("${cluster_name^^}", "EAST-1")]
    [InlineData("${cluster_name^}", "East-1")]
    [InlineData("${#cluster_name}", "6")]
    [InlineData("${cluster_name:1}", "ast-1")]
    [InlineData("${cluster_name:1:3}", "ast")]
    [InlineData("${path#*/}", "usr/local/bin")]
    [InlineData("${path##*/}", "bin")]
    [InlineData("${path%/*}", "/usr/local")]
    [InlineData("${path%%/l*}", "/usr")]
    [InlineData("${cluster_name/-/_}", "east_1")]
    [InlineData("${path//l/L}", "/usr/LocaL/bin")]
    [InlineData("$${cluster_name}", "${cluster_name}")]
    [InlineData("$cluster_name", "$cluster_name")]
    [InlineData("cost: $5", "cost: $5")]
    public void Expand_SupportsFluxForms(string input, string expected)
    {
        Assert.Equal(expected, PostBuild.Expand(input, Vars, strict: false, "test"));
    }

    [Fact]
    public void Strict_FailsOnUnsetVariableWithoutDefault()
    {
        var ex = Assert.Throws<RenderException>(() => PostBuild.Expand("${nope}", Vars, strict: true, "ConfigMap x"));
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigMap x", ex.Message, StringComparison.Ordinal);
        Assert.Equal("d", PostBuild.Expand("${nope:=d}", Vars, strict: true, "x"));
    }

    [Fact]
    public void Substitute_TypesValuesLikeFlux_AndLeavesInputUnchanged()
    {
        var obj = JsonNode.Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"app-${cluster_name}"},"spec":{"replicas":"${replicas}"}}""")!.AsObject();
        var before = obj.ToJsonString();
        var result = PostBuild.Substitute([obj], Vars);
        Assert.Equal("app-east-1", (string)result[0]["metadata"]!["name"]!);
        Assert.Equal(3, (int)result[0]["spec"]!["replicas"]!);
        Assert.Equal(before, obj.ToJsonString());
    }

    [Fact]
    public void Substitute_SkipsObjectsWithDisabledAnnotation()
    {
        var obj = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","annotations":{"kustomize.toolkit.fluxcd.io/substitute":"disabled"}},"data":{"script":"echo ${cluster_name}"}}""")!.AsObject();
        var result = PostBuild.Substitute([obj], Vars);
        Assert.Equal("echo ${cluster_name}", (string)result[0]["data"]!["script"]!);
    }

    [Fact]
    public void Substitute_RejectsInvalidVariableNames()
    {
        var ex = Assert.Throws<RenderException>(() => PostBuild.Substitute([], new Dictionary<string, string> { ["1bad"] = "x" }));
        Assert.Contains("1bad", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Substitute_UnterminatedExpression_IsAnError()
    {
        var obj = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"${oops"}}""")!.AsObject();
        var ex = Assert.Throws<RenderException>(() => PostBuild.Substitute([obj], Vars));
        Assert.Contains("ConfigMap x", ex.Message, StringComparison.Ordinal);
    }
}
