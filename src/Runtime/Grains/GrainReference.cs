using System.Reflection;

namespace Fleet.Runtime.Grains;

/// <summary>
/// The object behind a grain reference: System.Reflection.DispatchProxy turns each interface call into a message
/// for the runtime (generating proxies by hand or with a source generator would be the alternative; DispatchProxy
/// is fast enough for the 100,000 tells per second the runtime must sustain).
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives a generated class from this one, so it cannot be sealed.
internal class GrainReference : DispatchProxy
#pragma warning restore CA1852
{
    private GrainRuntime? _runtime;
    private GrainType? _type;
    private string? _key;

    public string Key => _key!;

    internal void Bind(GrainRuntime runtime, GrainType type, string key)
    {
        _runtime = runtime;
        _type = type;
        _key = key;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.DeclaringType == typeof(object))
        {
            return targetMethod.Name switch
            {
                nameof(ToString) => $"{_type!.Name}/{_key}",
                nameof(GetHashCode) => HashCode.Combine(_type, _key),
                _ => targetMethod.Invoke(this, args),
            };
        }

        var method = _type!.Methods.TryGetValue(targetMethod, out var m)
            ? m
            : throw new InvalidOperationException($"{targetMethod.Name} is not a method of grain interface {_type.Interface.FullName}.");
        return _runtime!.Send(_type, _key!, method, args ?? []);
    }
}
