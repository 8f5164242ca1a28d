using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Grains;

/// <summary>A registered grain: its interface, implementation, storage name and live activations on this silo.</summary>
internal sealed class GrainType
{
    private readonly ObjectFactory _factory;

    public GrainType(string name, Type interfaceType, Type implementation)
    {
        if (!interfaceType.IsInterface || !interfaceType.IsPublic && !interfaceType.IsNestedPublic)
        {
            throw new ArgumentException($"Grain interface {interfaceType.FullName} must be a public interface.");
        }

        if (!typeof(Grain).IsAssignableFrom(implementation) || !interfaceType.IsAssignableFrom(implementation) || implementation.IsAbstract)
        {
            throw new ArgumentException($"Grain class {implementation.FullName} must be a concrete class deriving from Fleet.Runtime.Grain and implementing {interfaceType.FullName}.");
        }

        Name = name;
        Interface = interfaceType;
        Implementation = implementation;
        _factory = ActivatorUtilities.CreateFactory(implementation, []);
        var methods = new Dictionary<MethodInfo, GrainMethod>();
        var byName = new Dictionary<string, GrainMethod>(StringComparer.Ordinal);
        foreach (var m in new[] { interfaceType }.Concat(interfaceType.GetInterfaces()).SelectMany(i => i.GetMethods()))
        {
            var gm = new GrainMethod(m);
            methods[m] = gm;
            if (!byName.TryAdd(gm.Name, gm))
            {
                throw new ArgumentException($"Grain interface {interfaceType.FullName} has two methods named {m.Name} with {gm.ParameterTypes.Length} parameters; grain methods are addressed by name and arity.");
            }
        }

        Methods = methods;
        MethodsByName = byName;
    }

    public string Name { get; }

    public Type Interface { get; }

    public Type Implementation { get; }

    public IReadOnlyDictionary<MethodInfo, GrainMethod> Methods { get; }

    public IReadOnlyDictionary<string, GrainMethod> MethodsByName { get; }

    public ConcurrentDictionary<string, GrainActivation> Activations { get; } = new(StringComparer.Ordinal);

    public ILogger? Logger { get; set; }

    public Grain Create(IServiceProvider services) => (Grain)_factory(services, null);
}

/// <summary>One method of a grain interface: how to invoke it and how its arguments cross silos.</summary>
internal sealed class GrainMethod
{
    private static readonly MethodInfo CastMethod = typeof(GrainMethod).GetMethod(nameof(CastAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly MethodInfo _method;
    private readonly PropertyInfo? _resultProperty;
    private readonly Func<Task<object?>, Task>? _cast;

    public GrainMethod(MethodInfo method)
    {
        _method = method;
        ParameterTypes = method.GetParameters().Select(p => p.ParameterType).ToArray();
        Name = $"{method.Name}/{ParameterTypes.Length}";
        if (method.ReturnType == typeof(Task))
        {
            ResultType = null;
        }
        else if (method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultType = method.ReturnType.GetGenericArguments()[0];
            _resultProperty = method.ReturnType.GetProperty(nameof(Task<int>.Result));
            _cast = CastMethod.MakeGenericMethod(ResultType).CreateDelegate<Func<Task<object?>, Task>>();
        }
        else
        {
            throw new ArgumentException($"Grain method {method.DeclaringType?.FullName}.{method.Name} must return Task (a tell) or Task<T> (an ask), not {method.ReturnType.Name}.");
        }
    }

    public string Name { get; }

    public Type[] ParameterTypes { get; }

    /// <summary>The T of an ask returning Task&lt;T&gt;; null for a tell.</summary>
    public Type? ResultType { get; }

    public bool IsAsk => ResultType is not null;

    public Task Invoke(Grain grain, object?[] args)
    {
        try
        {
            return (Task?)_method.Invoke(grain, args) ?? Task.CompletedTask;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            return Task.FromException(ex.InnerException);
        }
    }

    public object? GetResult(Task completed) => _resultProperty!.GetValue(completed);

    /// <summary>Turns the untyped result of an ask into the Task&lt;T&gt; the interface method returns.</summary>
    public Task ConvertAsk(Task<object?> result) => _cast!(result);

    /// <summary>A failed task of the method's return type.</summary>
    public Task Failed(Exception ex) => IsAsk ? ConvertAsk(Task.FromException<object?>(ex)) : Task.FromException(ex);

    private static async Task<T> CastAsync<T>(Task<object?> result) => (T)(await result)!;

    public string[] SerializeArgs(object?[] args)
    {
        var json = new string[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            json[i] = JsonSerializer.Serialize(args[i], ParameterTypes[i]);
        }

        return json;
    }

    public object?[] DeserializeArgs(IReadOnlyList<string> json)
    {
        if (json.Count != ParameterTypes.Length)
        {
            throw new ArgumentException($"Method {Name} takes {ParameterTypes.Length} arguments, the message has {json.Count}.");
        }

        var args = new object?[json.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = JsonSerializer.Deserialize(json[i], ParameterTypes[i]);
        }

        return args;
    }
}

/// <summary>The grain types registered with <c>AddGrain</c>.</summary>
internal sealed class GrainTypeRegistry
{
    private readonly Dictionary<Type, GrainType> _byInterface = [];
    private readonly Dictionary<string, GrainType> _byName = new(StringComparer.Ordinal);

    public void Add(GrainType type)
    {
        if (_byName.ContainsKey(type.Name))
        {
            throw new ArgumentException($"Two grain types are registered under the name '{type.Name}'; pass a distinct name to AddGrain.");
        }

        if (!_byInterface.TryAdd(type.Interface, type))
        {
            throw new ArgumentException($"Grain interface {type.Interface.FullName} is registered twice.");
        }

        _byName[type.Name] = type;
    }

    public IEnumerable<GrainType> All => _byName.Values;

    public GrainType Get(Type grainInterface) =>
        _byInterface.TryGetValue(grainInterface, out var t)
            ? t
            : throw new ArgumentException($"No grain implements {grainInterface.FullName}; register one with AddFleetRuntime(...).AddGrain<{grainInterface.Name}, TGrain>().");

    public GrainType? Find(string name) => _byName.GetValueOrDefault(name);
}
