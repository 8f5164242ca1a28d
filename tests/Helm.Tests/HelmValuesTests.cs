using System.Text.Json.Nodes;

namespace Fleet.Helm.Tests;

/// <summary>User values as helm builds them from files, --set and --set-string, and from JSON.</summary>
public sealed class HelmValuesTests
{
    [Fact]
    public void ApplySet_ParsesHelmsSyntax()
    {
        var v = new Dictionary<string, object?>(StringComparer.Ordinal);
        HelmValues.ApplySet(v, "a.b=1,c[1]=x,d={y,z},e=true,f=null,g=01,h=1.5,i=a\\,b");
        Assert.Equal("{\"a\":{\"b\":1},\"c\":[null,\"x\"],\"d\":[\"y\",\"z\"],\"e\":true,\"f\":null,\"g\":\"01\",\"h\":\"1.5\",\"i\":\"a,b\"}", Formats.GoJson.Marshal(v));
    }

    [Fact]
    public void ApplySetString_KeepsStrings()
    {
        var v = new Dictionary<string, object?>(StringComparer.Ordinal);
        HelmValues.ApplySetString(v, "n=5,b=true");
        Assert.Equal("{\"b\":\"true\",\"n\":\"5\"}", Formats.GoJson.Marshal(v));
    }

    [Fact]
    public void FromJson_NumbersBecomeFloats_AsHelmReadsValues()
    {
        var v = HelmValues.FromJson(new JsonObject { ["replicas"] = 3, ["image"] = new JsonObject { ["tag"] = "1.27" } });
        Assert.IsType<double>(v["replicas"]);
        var merged = HelmValues.Merge(v, HelmValues.Parse("image:\n  pullPolicy: Always\n"));
        Assert.Equal("{\"image\":{\"pullPolicy\":\"Always\",\"tag\":\"1.27\"},\"replicas\":3}", Formats.GoJson.Marshal(merged));
    }

    [Fact]
    public void ApplySet_BadExpression_NamesIt()
    {
        var ex = Assert.Throws<HelmException>(() => HelmValues.ApplySet(new Dictionary<string, object?>(StringComparer.Ordinal), "novalue"));
        Assert.Contains("novalue", ex.Message, StringComparison.Ordinal);
    }
}
