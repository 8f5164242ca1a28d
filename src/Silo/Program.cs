using Fleet.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetSilo();
var app = builder.Build();
app.MapFleetSilo();
app.Run();
