"""The posts endpoints as the OpenAPI document shows them to client developers."""


def test_post_create_is_documented_as_multipart_with_image_files(client):
    spec = client.get("/openapi.json").get_json()
    create = spec["paths"]["/api/posts/post/"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    content = create["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(content)
    ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    images = spec["components"]["schemas"][ref]["properties"]["images"]
    assert images["items"]["format"] == "binary" and images["maxItems"] == 10


def test_owner_only_operations_document_403_and_404(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, method in [
        ("/api/posts/post/{post_id}/", "patch"),
        ("/api/posts/post/{post_id}/", "delete"),
        ("/api/posts/like/{like_id}/", "delete"),
        ("/api/posts/comment/{comment_id}/", "patch"),
        ("/api/posts/comment/{comment_id}/", "delete"),
    ]:
        assert {"401", "403", "404"} <= set(paths[path][method]["responses"]), (path, method)
