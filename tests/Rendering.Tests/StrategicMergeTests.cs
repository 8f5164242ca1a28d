using System.Text.Json.Nodes;
using Fleet.Rendering.Transforms;

namespace Fleet.Rendering.Tests;

public sealed class StrategicMergeTests
{
    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"1","b":"2"}},
         "spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"b:1"}],
         "tolerations":[{"key":"t1"}]}}}}
        """;

    [Fact]
    public void InPlace_GivesTheSameResult_AndCopyModeLeavesInputsUnchanged()
    {
        const string patch = """{"metadata":{"labels":{"a":null}},"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}""";
        var target = Obj(Deployment);
        var p = Obj(patch);
        var copied = StrategicMerge.Apply(target, p)!;
        Assert.Equal(Obj(Deployment).ToJsonString(), target.ToJsonString());
        Assert.Equal(Obj(patch).ToJsonString(), p.ToJsonString());

        var own = Obj(Deployment);
        var inPlace = StrategicMerge.Apply(own, Obj(patch), inPlace: true)!;
        Assert.Same(own, inPlace);
        Assert.Equal(copied.ToJsonString(), inPlace.ToJsonString());
    }

    [Fact]
    public void Maps_MergeRecursively_AndNullDeletesKey()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"metadata":{"labels":{"a":null,"c":"3"}}}"""))!;
        Assert.Equal("""{"b":"2","c":"3"}""", result["metadata"]!["labels"]!.ToJsonString());
    }

    [Fact]
    public void Containers_MergeByName_PatchElementsFirst()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"new","image":"n"}]}}}}"""))!;
        var names = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!).ToArray();
        Assert.Equal(["b", "new", "a"], names);
        Assert.Equal("b:2", (string)result["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
    }

    [Fact]
    public void NestedEnv_MergesByName()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}]}]}}}}"""))!;
        var env = result["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal(2, env.Count);
    }

    [Fact]
    public void PatchDeleteDirective_RemovesListElement()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}}}"""))!;
        Assert.Single(result["spec"]!["template"]!["spec"]!["containers"]!.AsArray());
    }

    [Fact]
    public void PatchReplaceDirective_ReplacesMap()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"metadata":{"labels":{"$patch":"replace","only":"x"}}}"""))!;
        Assert.Equal("""{"only":"x"}""", result["metadata"]!["labels"]!.ToJsonString());
    }

    [Fact]
    public void PatchReplaceElement_ReplacesWholeList()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"z","image":"z"}]}}}}"""))!;
        Assert.Equal("""[{"name":"z","image":"z"}]""", result["spec"]!["template"]!["spec"]!["containers"]!.ToJsonString());
    }

    [Fact]
    public void TopLevelDelete_DeletesObject()
    {
        Assert.Null(StrategicMerge.Apply(Obj(Deployment), Obj("""{"$patch":"delete"}""")));
    }

    [Fact]
    public void ListsWithoutMergeKey_AreReplaced()
    {
        var result = StrategicMerge.Apply(Obj(Deployment), Obj("""{"spec":{"template":{"spec":{"tolerations":[{"key":"t2"}]}}}}"""))!;
        Assert.Equal("""[{"key":"t2"}]""", result["spec"]!["template"]!["spec"]!["tolerations"]!.ToJsonString());
    }

    [Fact]
    public void CustomResourceLists_AreReplacedNotMerged()
    {
        var cr = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"containers":[{"name":"a"}]}}""");
        var result = StrategicMerge.Apply(cr, Obj("""{"spec":{"containers":[{"name":"b"}]}}"""))!;
        Assert.Equal("""[{"name":"b"}]""", result["spec"]!["containers"]!.ToJsonString());
    }

    [Fact]
    public void ServicePorts_MergeByPort()
    {
        var svc = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":8080}]}}""");
        var result = StrategicMerge.Apply(svc, Obj("""{"spec":{"ports":[{"port":80,"nodePort":30000}]}}"""))!;
        Assert.Equal("""[{"port":80,"targetPort":8080,"nodePort":30000}]""", result["spec"]!["ports"]!.ToJsonString());
    }

    [Fact]
    public void Apply_DoesNotChangeInputs()
    {
        var target = Obj(Deployment);
        var before = target.ToJsonString();
        StrategicMerge.Apply(target, Obj("""{"metadata":{"labels":{"a":null}}}"""));
        Assert.Equal(before, target.ToJsonString());
    }
}
