namespace Fleet.Abstractions;

/// <summary>Marks an interface as a grain interface: a virtual actor reached through <c>IGrainFactory</c>.</summary>
/// <remarks>
/// Methods of a grain interface return <see cref="Task"/> (a one-way tell: the task completes when the message is
/// accepted, not when it has run) or <see cref="Task{TResult}"/> (an ask: the task completes with the method's result
/// after its turn ran; only for grains on the caller's own silo).
/// </remarks>
public interface IGrain;

/// <summary>A grain identified by a string key, such as <c>"{namespace}/{name}"</c>.</summary>
public interface IGrainWithStringKey : IGrain;
