using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Hosting;
using Fleet.KubeSim.Json;

namespace Fleet.KubeSim.Tests.Json;

public sealed class PureLogicTests
{
    [Theory]
    [InlineData("a: 1", "{\"a\":1}")]
    [InlineData("a: '1'", "{\"a\":\"1\"}")]
    [InlineData("a: yes", "{\"a\":true}")]
    [InlineData("a: \"yes\"", "{\"a\":\"yes\"}")]
    [InlineData("a: ~", "{\"a\":null}")]
    [InlineData("a: 1.5", "{\"a\":1.5}")]
    [InlineData("a: 1.2.3", "{\"a\":\"1.2.3\"}")]
    [InlineData("a: [x, 2]", "{\"a\":[\"x\",2]}")]
    public void Yaml_TypesScalarsLikeSigsK8sYaml(string yaml, string json)
    {
        Assert.Equal(json, BodyDecoder.DecodeYaml(yaml).ToJsonString());
    }

    [Fact]
    public void Yaml_MultipleDocuments_AreRejected()
    {
        var e = Assert.Throws<KubeException>(() => BodyDecoder.DecodeYaml("a: 1\n---\nb: 2\n"));
        Assert.Equal(400, e.Code);
        Assert.Contains("exactly one YAML document", e.Message);
    }

    [Fact]
    public void JsonPatch_MoveCopyRemove()
    {
        var doc = JsonNode.Parse("""{"a":{"b":1},"list":[1,2,3]}""")!;
        var result = Patches.JsonPatch(doc, JsonNode.Parse("""
            [{"op":"copy","from":"/a/b","path":"/c"},
             {"op":"move","from":"/a","path":"/d"},
             {"op":"remove","path":"/list/0"},
             {"op":"add","path":"/list/-","value":4},
             {"op":"add","path":"/x~1y","value":true}]
            """)!);
        Assert.Equal("""{"list":[2,3,4],"c":1,"d":{"b":1},"x/y":true}""", result.ToJsonString());
    }

    [Fact]
    public void JsonPatch_MissingPath_Is422NamingThePath()
    {
        var e = Assert.Throws<KubeException>(() => Patches.JsonPatch(JsonNode.Parse("{}")!, JsonNode.Parse("""[{"op":"remove","path":"/nope"}]""")!));
        Assert.Equal(422, e.Code);
        Assert.Contains("/nope", e.Message);
    }

    [Fact]
    public void MergePatch_FollowsRfc7386()
    {
        var r = Patches.MergePatch(JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"}}"""), JsonNode.Parse("""{"a":"z","c":{"f":null}}"""));
        Assert.Equal("""{"a":"z","c":{"d":"e"}}""", r!.ToJsonString());
    }

    [Fact]
    public void StrategicMerge_FinalizersAreASetAndRetainKeysDrops()
    {
        var target = (JsonObject)JsonNode.Parse("""{"metadata":{"finalizers":["a"]},"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""")!;
        var r = Patches.StrategicMerge(target, (JsonObject)JsonNode.Parse("""{"metadata":{"finalizers":["b","a"]},"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""")!);
        Assert.Equal("""{"metadata":{"finalizers":["a","b"]},"spec":{"strategy":{"type":"Recreate"}}}""", r.ToJsonString());
    }

    [Fact]
    public void FieldSet_RoundTripsFieldsV1()
    {
        const string Fields = """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}}}}""";
        var set = FieldSet.FromFieldsV1((JsonObject)JsonNode.Parse(Fields)!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Fields), set.ToFieldsV1()), set.ToString());
        Assert.True(set.Contains(["f:metadata", "f:labels"]));
        Assert.False(set.Contains(["f:metadata"]));
        Assert.Equal(".spec.containers[name=\"a\"].image", FieldSet.Format(["f:spec", "f:containers", "k:{\"name\":\"a\"}", "f:image"]));
    }

    [Fact]
    public void FieldSet_ExceptWithPrunesEmptySubtrees()
    {
        var a = FieldSet.FromFieldsV1((JsonObject)JsonNode.Parse("""{"f:spec":{"f:replicas":{},"f:paused":{}}}""")!);
        a.ExceptWith(FieldSet.FromFieldsV1((JsonObject)JsonNode.Parse("""{"f:spec":{"f:replicas":{}}}""")!));
        Assert.Equal("""{"f:spec":{"f:paused":{}}}""", a.ToFieldsV1().ToJsonString());
        a.ExceptWith(FieldSet.FromFieldsV1((JsonObject)JsonNode.Parse("""{"f:spec":{"f:paused":{}}}""")!));
        Assert.True(a.IsEmpty);
    }

    [Fact]
    public void CommandLine_ParsesFlagsAndDurations()
    {
        var r = CommandLine.Parse(["--urls", "http://127.0.0.1:7000", "--clusters=5", "--token", "T", "--tls", "--ca-out", "/tmp/ca.pem", "--ready-delay", "1m30s"]);
        Assert.Equal("https://127.0.0.1:7000", r.Options.Urls);
        Assert.Equal(5, r.Options.Clusters);
        Assert.Equal("T", r.Options.Token);
        Assert.True(r.Options.Tls);
        Assert.Equal("/tmp/ca.pem", r.CaOut);
        Assert.Equal(TimeSpan.FromSeconds(90), r.Options.ReadyDelay);
        Assert.Equal(["a", "b"], CommandLine.Parse(["--cluster-names", "a,b"]).Options.InitialClusterNames());
        Assert.Equal("sim-0003", CommandLine.Parse(["--clusters", "3"]).Options.InitialClusterNames()[^1]);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--clusters", "many")]
    [InlineData("--ready-delay", "3 weeks")]
    [InlineData("--token")]
    public void CommandLine_BadFlags_NameTheProblem(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => CommandLine.Parse(args));
        Assert.Contains(args[0], e.Message);
    }
}
