params --format markdown problems/004-unet-256.json
