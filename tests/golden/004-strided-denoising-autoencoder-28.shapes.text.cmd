shapes --format text problems/004-strided-denoising-autoencoder-28.json
