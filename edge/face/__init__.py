"""On-device face recognition with LiteRT: BlazeFace detection, the dlib ResNet descriptor
converted to TFLite, verification, candidate search, liveness, templates and ID photos.

The window workflow talks to `edge.face.service.FaceService`. This package file imports
nothing heavy, so the CLI can register its commands without loading numpy or LiteRT.
"""
