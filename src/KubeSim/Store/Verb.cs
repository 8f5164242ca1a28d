namespace Fleet.KubeSim.Store;

/// <summary>The verbs requests are counted by (the Kubernetes audit verbs, plus discovery and apply).</summary>
internal enum Verb
{
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Apply,
    Delete,
    DeleteCollection,
    Discovery,
}
