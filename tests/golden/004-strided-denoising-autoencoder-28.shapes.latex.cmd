shapes --format latex problems/004-strided-denoising-autoencoder-28.json
