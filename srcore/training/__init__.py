"""Training loops: the supervised loop, the GAN loop and the patch samplers."""
