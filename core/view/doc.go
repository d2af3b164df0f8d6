// Package view turns what a store holds into what Docker's image commands show: image
// summaries (`docker images`), history rows (`docker history`), inspect documents (`docker
// image inspect`) and disk usage (`docker system df`), as plain values computed the way Docker
// Engine 20.10 computes them (image ID = config digest, size = sum of the layers' diff sizes,
// `<missing>` history IDs for an image without a parent chain), with the fields Engine 28 no
// longer sends (Container, ContainerConfig, VirtualSize) left out.
//
// It also resolves names the way the engine does (`nginx` -> docker.io/library/nginx:latest,
// full or short image IDs) with the engine's error wording.
//
// It only reads: changing tags and deleting images is the command layer's work. It must not
// import os, syscall/js or net/http, and it prints nothing.
package view
