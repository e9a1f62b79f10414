"""The engine: pure NumPy. Activations, output heads (output + loss), initialisers, optimisers,
regularisers, the layers (each kind's forward and backward side by side) and the network over one flat
parameter vector. Imports nothing else of the playground."""
