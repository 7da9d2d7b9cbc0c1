shapes
