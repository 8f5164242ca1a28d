using Fleet.Abstractions;

namespace Fleet.Runtime;

/// <summary>Gives references to grains, wherever they live. A reference is cheap; get one per use.</summary>
public interface IGrainFactory
{
    /// <summary>
    /// A reference to the grain of interface <typeparamref name="TGrain"/> with this key. Calling a method that
    /// returns <see cref="Task"/> is a tell; one that returns <see cref="Task{TResult}"/> is an ask (same silo only).
    /// </summary>
    TGrain Get<TGrain>(string key)
        where TGrain : IGrainWithStringKey;
}
